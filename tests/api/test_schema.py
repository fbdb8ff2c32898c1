"""Schemathesis against the OpenAPI document: for every operation, bounded examples generated
from the schema (deterministic), sent through the Django WSGI app to the test database with a
director's token. No response may be a 5xx or break the documented schema."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kehu.api.services import create_token
from kehu.followups.services import log_interaction, plan_followup
from kehu.pipeline.services import create_deal, ensure_default_stages
from kehu.sales.services import create_order, save_product

# loading the document touches no database: it can happen at collection
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def same_connection():
    """The test database lives in one transaction on this thread's connection: the handler
    must not close it at the end of each request (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def data(db, people, book, same_connection):
    """Something behind every list, so the examples reach the serialisers."""
    ensure_default_stages()
    customer = book["director"]
    product = save_product(people.director, {"name": "云服务器", "unit_price": "1200"})
    create_deal(people.director, customer, {"title": "年度采购", "amount": "50000"})
    log_interaction(people.director, customer, method="phone", content="电话沟通")
    plan_followup(people.director, customer, due_on=_today(), method="visit", content="拜访")
    create_order(
        people.director,
        customer,
        {"order_date": _today()},
        [{"product": product.pk, "quantity": "2"}],
    )
    return book


def _today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def director_token(people, data):
    return create_token(people.director, "schemathesis")[1]


# 15 examples an operation per commit (the same ones each run); `make fuzz` sets
# KEHU_FUZZ_EXAMPLES=500 for a longer, random search
EXAMPLES = int(os.environ.get("KEHU_FUZZ_EXAMPLES", "15"))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize="KEHU_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_by_its_schema(case, director_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {director_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
