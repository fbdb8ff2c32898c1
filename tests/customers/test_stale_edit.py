"""Two people edit the same customer: the second save from a stale form is refused, with a
message naming who saved, and nothing of it is written."""

import pytest

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Customer


@pytest.fixture
def customer(people):
    return people.customer(people.rep, "苏州精工机械有限公司", city="苏州")


def form_data(customer, **changes):
    return {
        "name": customer.name,
        "kind": "company",
        "status": "lead",
        "city": customer.city,
        "industry": customer.industry_id,
        "version": customer.version,
        **changes,
    }


def test_the_second_of_two_edits_from_the_same_version_is_refused(people, customer):
    opened_at = customer.version
    services.update_customer(people.manager, customer, {"notes": "经理的修改"}, version=opened_at)
    events = AuditEvent.objects.count()
    with pytest.raises(services.StaleEdit) as err:
        services.update_customer(
            people.rep, customer, {"notes": "销售的修改", "city": "无锡"}, version=opened_at
        )
    assert "李经理" in str(err.value)
    assert err.value.current.notes == "经理的修改"
    customer.refresh_from_db()
    assert (customer.notes, customer.city) == ("经理的修改", "苏州")
    assert customer.version == opened_at + 1
    assert customer.updated_by == people.manager
    assert AuditEvent.objects.count() == events


def test_an_edit_from_the_current_version_goes_through(people, customer):
    updated = services.update_customer(
        people.rep, customer, {"notes": "销售的修改"}, version=customer.version
    )
    assert updated.version == customer.version + 1
    again = services.update_customer(
        people.manager, updated, {"notes": "经理的修改"}, version=updated.version
    )
    assert again.notes == "经理的修改"


@pytest.mark.parametrize(
    "meanwhile",
    [
        lambda p, c: services.set_tags(p.manager, c, [p.urgent]),
        lambda p, c: services.add_contact(p.manager, c, {"name": "王芳"}),
        lambda p, c: services.bulk_set_status(p.manager, [c.pk], Customer.Status.PROSPECT),
    ],
    ids=["tags", "contact", "bulk-status"],
)
def test_other_changes_to_the_customer_make_an_open_form_stale(people, customer, meanwhile):
    opened_at = customer.version
    meanwhile(people, customer)
    with pytest.raises(services.StaleEdit) as err:
        services.update_customer(people.rep, customer, {"notes": "销售的修改"}, version=opened_at)
    assert "李经理" in str(err.value)
    assert Customer.objects.get(pk=customer.pk).notes == ""


def test_the_edit_page_refuses_a_stale_form_and_keeps_the_input(people, customer, login):
    client = login(people.rep)
    opened = client.get(f"/customers/{customer.pk}/edit/").context["form"]["version"].value()
    services.update_customer(people.manager, customer, {"notes": "经理的修改"})
    response = client.post(
        f"/customers/{customer.pk}/edit/",
        form_data(customer, notes="销售的修改", city="无锡", version=opened),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "李经理" in body  # who saved in between
    assert "销售的修改" in body and 'value="无锡"' in body  # what I typed is still there
    # and the fields I changed, with the values saved now
    stale = body.split('data-testid="stale"', 1)[1].split("</ul>", 1)[0]
    assert "城市: 苏州" in stale and "备注: 经理的修改" in stale
    assert "所属行业" not in stale and "销售的修改" not in stale
    customer.refresh_from_db()
    assert (customer.notes, customer.city) == ("经理的修改", "苏州")


def test_saving_the_refreshed_form_again_is_a_deliberate_overwrite(people, customer, login):
    client = login(people.rep)
    opened = customer.version
    services.update_customer(people.manager, customer, {"notes": "经理的修改"})
    url = f"/customers/{customer.pk}/edit/"
    response = client.post(url, form_data(customer, notes="销售的修改", version=opened))
    refreshed = response.context["form"]["version"].value()
    assert refreshed == opened + 1
    response = client.post(url, form_data(customer, notes="销售的修改", version=refreshed))
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).notes == "销售的修改"
