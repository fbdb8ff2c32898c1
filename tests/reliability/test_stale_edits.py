"""Two people open the same customer, deal or target and both save: the second is refused
with a message saying why, and the first one's change is what stays. (One person's stale
customer form, the edit page and the API's 409 are in tests/customers/test_stale_edit.py and
tests/api/test_writes.py; these are the cases with two people, and the ones with two
processes at the same moment.)"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.customers.services import StaleEdit
from kehu.pipeline import services as pipeline
from kehu.targets import services as targets
from kehu.targets.models import Target
from tests.api.conftest import api_client

# the messages as the people see them (in the install's language)
STALE_DEAL = _("Someone changed this deal after you opened it; reload and retry.")
STALE_TARGET = _("Someone changed this target after you opened it. Reload it and try again.")


def opened_version(page: str, action: str) -> int:
    """The version a page's form (posting to `action`) will send back."""
    form = page.split(f'action="{action}"', 1)[1] if action else page.split("deal-edit", 1)[1]
    return int(re.search(r'name="version" value="(\d+)"', form).group(1))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- customers ------------------------------------------------------------------------------
def test_customer_saved_through_the_api_makes_the_other_persons_page_stale(people, book, login):
    customer = book["rep"]
    page = login(people.rep)
    opened = page.get(f"/customers/{customer.pk}/edit/").context["form"]["version"].value()
    api = api_client(people.manager)
    read = api.get(f"/api/v1/customers/{customer.pk}").json()
    assert read["version"] == opened  # both opened the same version
    saved = api.patch(
        f"/api/v1/customers/{customer.pk}",
        {"notes": "经理从接口改的", "version": read["version"]},
        content_type="application/json",
    )
    assert saved.status_code == 200
    response = page.post(
        f"/customers/{customer.pk}/edit/",
        {
            "name": customer.name,
            "kind": "company",
            "status": "lead",
            "industry": customer.industry_id,
            "notes": "销售在页面改的",
            "version": opened,
        },
    )
    assert response.status_code == 200 and "李经理" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).notes == "经理从接口改的"


def test_customer_saved_on_the_page_makes_the_other_persons_api_call_a_409(people, book, login):
    customer = book["rep"]
    api = api_client(people.rep)
    opened = api.get(f"/api/v1/customers/{customer.pk}").json()["version"]
    page = login(people.manager)
    response = page.post(
        f"/customers/{customer.pk}/edit/",
        {
            "name": customer.name,
            "kind": "company",
            "status": "lead",
            "industry": customer.industry_id,
            "owner": customer.owner_id,  # a manager's form can reassign
            "notes": "经理在页面改的",
            "version": opened,
        },
    )
    assert response.status_code == 302
    late = api.patch(
        f"/api/v1/customers/{customer.pk}",
        {"notes": "销售从接口改的", "version": opened},
        content_type="application/json",
    )
    assert late.status_code == 409 and "李经理" in late.json()["message"]
    assert Customer.objects.get(pk=customer.pk).notes == "经理在页面改的"


def test_a_second_merge_of_the_same_pair_is_refused_and_adds_nothing_twice(people):
    """Two people merge the same duplicate from pages opened at the same time."""
    from kehu.customers import services as customers

    keep = people.customer(people.rep, "杭州云帆科技有限公司", cooperation_amount="100")
    drop = people.customer(people.rep, "杭州云帆科技公司", cooperation_amount="50")
    customers.merge_customers(people.rep, keep, drop)
    with pytest.raises(ValidationError) as err:
        customers.merge_customers(people.manager, keep, drop)
    assert "other" in err.value.message_dict
    assert Customer.objects.get(pk=keep.pk).cooperation_amount == 150


# --- deals ----------------------------------------------------------------------------------
@pytest.fixture
def deal(people, book):
    pipeline.ensure_default_stages()
    return pipeline.create_deal(people.rep, book["rep"], {"title": "ERP 升级", "amount": "120000"})


def test_deal_second_of_two_saves_from_the_same_version_is_refused(people, deal):
    opened = deal.version
    pipeline.update_deal(
        people.manager, deal, {"title": deal.title, "amount": "150000"}, version=opened
    )
    with pytest.raises(StaleEdit) as err:
        pipeline.update_deal(people.rep, deal, {"title": deal.title, "amount": "90000"}, opened)
    assert str(err.value) == STALE_DEAL
    deal.refresh_from_db()
    assert (deal.amount, deal.version) == (150000, opened + 1)


def test_deal_page_two_people_open_it_the_second_save_is_refused(people, deal, login):
    url = reverse("pipeline:detail", args=[deal.pk])
    manager, rep = login(people.manager), login(people.rep)
    for_manager = opened_version(manager.get(url).content.decode(), "")
    for_rep = opened_version(rep.get(url).content.decode(), "")
    assert for_manager == for_rep == deal.version
    first = manager.post(
        url, {"title": "ERP 升级（经理）", "amount": "150000", "version": for_manager}
    )
    assert first.status_code == 302
    second = rep.post(
        url, {"title": "ERP 升级（销售）", "amount": "90000", "version": for_rep}, follow=True
    )
    told = messages_of(second)
    assert told == [STALE_DEAL]
    assert "ERP 升级（销售）" in second.content.decode()  # the input is kept to retype
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("ERP 升级（经理）", 150000)


# --- targets --------------------------------------------------------------------------------
@pytest.fixture
def quarters(people):
    year = targets.set_target(
        people.director, "won_amount", "year", timezone.localdate(), "1200000.00"
    )
    return year, targets.decompose(people.director, year, "time", "equal")


def test_target_second_of_two_changes_to_a_part_is_refused(people, quarters):
    year, (q1, *_rest) = quarters
    opened = q1.version
    targets.set_allocation(people.director, q1, "400000", version=opened)
    with pytest.raises(ValidationError) as err:
        targets.set_allocation(people.admin, q1, "100000", version=opened)
    assert err.value.messages == [STALE_TARGET]
    q1.refresh_from_db()
    assert q1.amount == 400000
    assert sum(year.children.values_list("amount", flat=True)) == year.amount


def test_target_changed_in_between_by_a_sibling_rebalance_is_refused_too(people, quarters):
    """Rebalancing changes the other quarters: a form opened on one of them is stale."""
    _year, (q1, q2, *_rest) = quarters
    opened = q2.version
    targets.set_allocation(people.director, q1, "600000", version=q1.version)
    with pytest.raises(ValidationError):
        targets.set_allocation(people.admin, q2, "100000", version=opened)
    assert Target.objects.get(pk=q2.pk).amount == 200000


def test_target_page_two_people_open_it_the_second_save_is_refused(people, quarters, login):
    year, (q1, *_rest) = quarters
    page = reverse("targets:target", args=[year.pk])
    action = reverse("targets:part", args=[q1.pk])
    director, admin = login(people.director), login(people.admin)
    for_director = opened_version(director.get(page).content.decode(), action)
    for_admin = opened_version(admin.get(page).content.decode(), action)
    assert for_director == for_admin == q1.version
    first = director.post(
        action, {"amount": "450000", "rebalance": "on", "version": for_director}, follow=True
    )
    assert STALE_TARGET not in messages_of(first)
    second = admin.post(
        action, {"amount": "100000", "rebalance": "on", "version": for_admin}, follow=True
    )
    assert STALE_TARGET in messages_of(second)
    assert Target.objects.get(pk=q1.pk).amount == 450000


# --- two processes at the same moment ---------------------------------------------------------
@pytest.mark.parametrize("kind", ["customer", "deal", "target"])
def test_two_saves_at_the_same_moment_one_wins_the_other_is_refused(database, kind):
    """Two Kehu processes save the same record from the same version at once: the first holds
    the record (locked, checked, not yet written) when the second arrives, which waits and is
    refused; the first one's value stays."""
    first = database.start("edit", kind, "first", pause="edit.checked")
    second = database.start("edit", kind, "second", pause="edit.opened")
    first.paused()
    second.paused()  # has read the same version
    second.go.touch()  # on into the service, where it waits for the first
    won, lost = first.resume(), second.result()
    assert won["opened"] == lost["opened"]
    assert (won["result"], lost["result"]) == ("saved", "stale")
    assert lost["message"]
    assert database.run("edit", kind, "")["value"] == won["value"]
