"""Bad input gets a message on the field it is about, and nothing is written."""

import pytest
from django.core.exceptions import ValidationError

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Contact, Customer

NEW = {"kind": "company", "status": "lead"}


def field_errors(response, form="form"):
    return response.context[form].errors


@pytest.mark.parametrize("name", ["", "   ", "　", "长" * 101])
def test_empty_or_over_long_name_is_refused_and_nothing_is_written(people, name):
    with pytest.raises(ValidationError) as err:
        services.create_customer(people.rep, {"name": name})
    assert "name" in err.value.message_dict
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_name_of_exactly_the_limit_is_fine(people):
    assert services.create_customer(people.rep, {"name": "长" * 100}).name == "长" * 100


@pytest.mark.parametrize("name", ["", "长" * 101])
def test_create_page_puts_the_name_error_on_the_name_field(people, login, name):
    response = login(people.rep).post("/customers/new/", {**NEW, "name": name})
    assert response.status_code == 200
    assert "name" in field_errors(response)
    assert "is-invalid" in response.content.decode()
    assert not Customer.objects.exists()


def test_edit_page_refuses_clearing_the_name(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    response = login(people.rep).post(
        f"/customers/{c.pk}/edit/", {**NEW, "name": " ", "version": c.version}
    )
    assert "name" in field_errors(response)
    assert Customer.objects.get(pk=c.pk).name == "苏州精工机械有限公司"


@pytest.mark.parametrize(
    ("field", "value"),
    [("satisfaction", 9), ("annual_budget", -1), ("status", "unknown"), ("kind", "robot")],
)
def test_out_of_range_values_are_refused_on_their_field(people, field, value):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.rep, c, {field: value})
    assert field in err.value.message_dict
    assert Customer.objects.get(pk=c.pk).version == c.version


def test_fields_that_are_not_the_customers_to_set_are_refused(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    for field in ("version", "search_text", "tags", "no_such_field"):
        with pytest.raises(ValidationError) as err:
            services.update_customer(people.rep, c, {field: "x"})
        assert field in err.value.message_dict


def test_a_rep_cannot_set_a_tier(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.rep, c, {"tier": "A"})
    assert "tier" in err.value.message_dict
    assert Customer.objects.get(pk=c.pk).tier == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "138123456789"),
        ("phone", "23812345678"),
        ("phone2", "abc"),
        ("email", "not-an-email"),
        ("email", "wf@haina"),
        ("name", ""),
        ("name", "  "),
    ],
)
def test_bad_contact_input_names_the_field_and_writes_nothing(people, field, value):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    before = Customer.objects.get(pk=c.pk).version
    with pytest.raises(ValidationError) as err:
        services.add_contact(people.rep, c, {"name": "王芳", field: value})
    assert field in err.value.message_dict
    assert not Contact.objects.exists()
    assert Customer.objects.get(pk=c.pk).version == before
    assert not AuditEvent.objects.filter(model="customers.contact").exists()


def test_a_bad_edit_of_a_contact_leaves_it_as_it_was(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    contact = services.add_contact(people.rep, c, {"name": "王芳", "phone": "13812345678"})
    with pytest.raises(ValidationError):
        services.update_contact(people.rep, contact, {"phone": "12345", "title": "总监"})
    contact.refresh_from_db()
    assert (contact.phone, contact.title) == ("13812345678", "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "王芳", "phone": "12345"}, "phone", "不是有效的电话号码"),
        ({"name": "王芳", "email": "not-an-email"}, "email", "不是有效的邮箱地址"),
        ({"name": "", "phone": "13812345678"}, "name", ""),
    ],
)
def test_contact_form_shows_the_error_on_the_field(people, login, data, field, message):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    response = login(people.rep).post(f"/customers/{c.pk}/contacts/new/", data)
    assert response.status_code == 200
    assert field in field_errors(response)
    assert message in response.content.decode()
    assert not Contact.objects.exists()


def test_a_bad_first_contact_on_the_create_page_saves_no_customer(people, login):
    response = login(people.rep).post(
        "/customers/new/",
        {**NEW, "name": "成都蓝海科技有限公司", "contact-name": "周杰", "contact-phone": "12345"},
    )
    assert response.status_code == 200
    assert "phone" in field_errors(response, "contact_form")
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_unknown_owner_is_refused_on_the_form(people, login):
    response = login(people.director).post(
        "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司", "owner": 99999}
    )
    assert response.status_code == 200
    assert "owner" in field_errors(response)
    assert not Customer.objects.exists()


def test_a_manager_cannot_give_a_customer_to_someone_outside_their_subtree(people, login):
    with pytest.raises(ValidationError) as err:
        services.create_customer(
            people.manager, {"name": "成都蓝海科技有限公司", "owner": people.rep2}
        )
    assert "owner" in err.value.message_dict
    response = login(people.manager).post(
        "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司", "owner": people.rep2.pk}
    )
    assert "owner" in field_errors(response)
    assert not Customer.objects.exists()


def test_nobody_can_give_a_customer_to_a_viewer(people):
    with pytest.raises(ValidationError) as err:
        services.create_customer(
            people.director, {"name": "成都蓝海科技有限公司", "owner": people.viewer}
        )
    assert "owner" in err.value.message_dict


def test_a_rep_trying_to_reassign_gets_a_message_on_owner_and_nothing_is_written(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.rep, c, {"owner": people.rep3, "notes": "顺便改备注"})
    assert "owner" in err.value.message_dict
    c.refresh_from_db()
    assert (c.owner, c.notes) == (people.rep, "")


def test_a_rep_posting_another_owner_on_the_edit_page_changes_no_owner(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    response = login(people.rep).post(
        f"/customers/{c.pk}/edit/",
        {**NEW, "name": c.name, "owner": people.rep3.pk, "version": c.version},
    )
    assert response.status_code == 302  # the owner field is read-only for a rep
    assert Customer.objects.get(pk=c.pk).owner == people.rep


def test_a_rep_naming_another_owner_on_create_still_owns_it(people, login):
    login(people.rep).post(
        "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司", "owner": people.rep3.pk}
    )
    assert Customer.objects.get().owner == people.rep
