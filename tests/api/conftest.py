import pytest
from django.test import Client
from django.utils import timezone

from kehu.api import services
from kehu.customers import services as customer_services
from kehu.followups import services as followup_services
from kehu.pipeline import services as pipeline_services
from kehu.sales import services as sales_services


def api_client(user) -> Client:
    """A client that sends a fresh personal token of `user` (None: no token at all)."""
    if user is None:
        return Client()
    _token, plaintext = services.create_token(user, "tests")
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def api():
    return api_client


@pytest.fixture
def world(people, book):
    """For every customer of the book, by its owner: a contact, a deal, an interaction, a
    planned follow-up and an order. → {book key: {kind: object}}"""
    today = timezone.localdate()
    out = {}
    for key, customer in book.items():
        owner = customer.owner
        out[key] = {
            "customer": customer,
            "contact": customer_services.add_contact(owner, customer, {"name": f"{key}联系人"}),
            "deal": pipeline_services.create_deal(owner, customer, {"title": f"{key}商机"}),
            "interaction": followup_services.log_interaction(
                owner, customer, method="phone", content=f"{key}电话"
            ),
            "followup": followup_services.plan_followup(
                owner, customer, due_on=today, method="visit", content=f"{key}拜访"
            ),
            "order": sales_services.create_order(
                owner,
                customer,
                {"order_date": today},
                [{"description": f"{key}服务", "quantity": "1", "unit_price": "100"}],
            ),
        }
    return out
