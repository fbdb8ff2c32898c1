"""Creating and editing customers and contacts: normalisation, bad input, stale edits, audit."""

import pytest
from django.core.exceptions import ValidationError

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Contact, Customer


def test_names_and_text_are_cleaned_on_save(people):
    c = people.customer(people.rep, "　杭州云帆科技(集团)有限公司 ", city="　杭州 ")
    assert c.name == "杭州云帆科技（集团）有限公司"
    assert c.city == "杭州"
    assert c.name_pinyin.startswith("hangzhouyunfan")


@pytest.mark.parametrize("name", ["", "   ", "　"])
def test_empty_name_is_refused_and_nothing_is_written(people, name):
    with pytest.raises(ValidationError) as err:
        services.create_customer(people.rep, {"name": name})
    assert "name" in err.value.message_dict
    assert not Customer.objects.exists()


def test_over_long_name_is_refused(people):
    with pytest.raises(ValidationError) as err:
        services.create_customer(people.rep, {"name": "长" * 101})
    assert "name" in err.value.message_dict
    assert not Customer.objects.exists()


def test_phones_are_normalised(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    contact = services.add_contact(
        people.rep,
        c,
        {"name": "王芳", "phone": "+86 138-1234-5678", "phone2": "(0571) 8888 6666 转 12"},
    )
    assert contact.phone == "13812345678"
    assert contact.phone2 == "057188886666-12"
    full_width = services.add_contact(
        people.rep, c, {"name": "李强", "phone": "１３９００００１１１１"}
    )
    assert full_width.phone == "13900001111"


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "12345"), ("phone", "138123456789"), ("email", "not-an-email"), ("name", "")],
)
def test_bad_contact_input_names_the_field_and_writes_nothing(people, field, value):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    data = {"name": "王芳", field: value}
    with pytest.raises(ValidationError) as err:
        services.add_contact(people.rep, c, data)
    assert field in err.value.message_dict
    assert not Contact.objects.exists()


def test_contact_form_shows_the_error_on_the_field(people, login):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    response = login(people.rep).post(
        f"/customers/{c.pk}/contacts/new/", {"name": "王芳", "phone": "12345"}
    )
    assert response.status_code == 200
    assert "不是有效的电话号码" in response.content.decode()
    assert not Contact.objects.exists()


def test_unknown_owner_is_refused_on_the_form(people, login):
    response = login(people.director).post(
        "/customers/new/",
        {"name": "成都蓝海科技有限公司", "kind": "company", "status": "lead", "owner": 99999},
    )
    assert response.status_code == 200
    assert not Customer.objects.exists()
    assert "owner" in response.context["form"].errors


def test_first_contact_becomes_primary_and_only_one_stays_primary(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    first = services.add_contact(people.rep, c, {"name": "王芳"})
    second = services.add_contact(people.rep, c, {"name": "李强", "is_primary": True})
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary


def test_a_stale_edit_is_refused_and_nothing_is_written(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    opened_at = c.version
    services.update_customer(people.manager, c, {"notes": "经理的修改"}, version=opened_at)
    with pytest.raises(services.StaleEdit) as err:
        services.update_customer(people.rep, c, {"notes": "销售的修改"}, version=opened_at)
    assert "李经理" in str(err.value)
    c.refresh_from_db()
    assert c.notes == "经理的修改"
    assert c.version == opened_at + 1


def test_the_edit_page_refuses_a_stale_form_and_keeps_the_input(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    client = login(people.rep)
    opened_version = client.get(f"/customers/{c.pk}/edit/").context["form"]["version"].value()
    services.update_customer(people.manager, c, {"notes": "经理的修改"})
    data = {"name": c.name, "kind": "company", "status": "lead", "notes": "销售的修改"}
    data["version"] = opened_version
    response = client.post(f"/customers/{c.pk}/edit/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "李经理" in body and "销售的修改" in body
    c.refresh_from_db()
    assert c.notes == "经理的修改"


def test_every_change_is_audited_with_old_and_new_values(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.rep, c, {"notes": "第一次备注", "city": "苏州"})
    event = AuditEvent.objects.filter(customer=c, action="update").get()
    assert event.actor == people.rep
    changes = {ch["field"]: (ch["old"], ch["new"]) for ch in event.changes}
    assert changes == {"notes": ("", "第一次备注"), "city": ("", "苏州")}


def test_saving_without_changes_writes_no_audit_row(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.rep, c, {"notes": ""})
    assert not AuditEvent.objects.filter(customer=c, action="update").exists()


def test_contact_changes_are_audited_and_shown_on_the_customer_page(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    contact = services.add_contact(people.rep, c, {"name": "王芳", "title": "采购经理"})
    services.update_contact(people.rep, contact, {"title": "采购总监"})
    services.delete_contact(people.rep, contact)
    actions = list(
        AuditEvent.objects.filter(model="customers.contact")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]
    body = login(people.rep).get(f"/customers/{c.pk}/").content.decode()
    assert "采购经理" in body and "采购总监" in body and "张伟" in body


def test_tag_changes_are_audited(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.set_tags(people.rep, c, [people.urgent])
    services.set_tags(people.rep, c, [people.price])
    updates = AuditEvent.objects.filter(customer=c, action="update").order_by("pk")
    tag_events = [e.changes[0] for e in updates]
    assert [(e["old"], e["new"]) for e in tag_events] == [
        ("", "需求急迫"),
        ("需求急迫", "价格敏感"),
    ]


def test_edit_page_saves_and_redirects_to_the_customer(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    client = login(people.rep)
    response = client.post(
        f"/customers/{c.pk}/edit/",
        {
            "name": c.name,
            "kind": "company",
            "status": "prospect",
            "version": c.version,
            "tags": [people.urgent.pk],
        },
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "prospect" and list(c.tags.all()) == [people.urgent]
