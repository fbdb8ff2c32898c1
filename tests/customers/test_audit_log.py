"""Every change is audited (who, which field, from what to what) and shows on the customer's
timeline."""

import pytest
from django.core.exceptions import ValidationError

from kehu.accounts import access
from kehu.core.models import AuditEvent
from kehu.customers import services


def changes_of(event) -> dict:
    return {c["field"]: (c["old"], c["new"]) for c in event.changes}


def timeline_of(client, customer) -> str:
    body = client.get(f"/customers/{customer.pk}/").content.decode()
    return body.split('data-testid="timeline"', 1)[1]


def test_creating_a_customer_records_who_and_every_filled_field(people):
    c = people.customer(people.rep, "苏州精工机械有限公司", city="苏州", channel=people.channel)
    event = AuditEvent.objects.get(customer=c)
    assert (event.action, event.actor, event.model) == ("create", people.rep, "customers.customer")
    changes = changes_of(event)
    assert changes["name"] == ("", "苏州精工机械有限公司")
    assert changes["city"] == ("", "苏州")
    assert changes["channel"] == ("", "展会")
    assert changes["owner"] == ("", "张伟")
    assert "province" not in changes  # left empty: nothing to record


def test_updating_records_only_the_changed_fields_old_and_new(people):
    c = people.customer(people.rep, "苏州精工机械有限公司", city="苏州")
    services.update_customer(
        people.rep, c, {"notes": "第一次备注", "city": "无锡", "status": "prospect"}
    )
    event = AuditEvent.objects.get(customer=c, action="update")
    assert event.actor == people.rep
    assert changes_of(event) == {
        "notes": ("", "第一次备注"),
        "city": ("苏州", "无锡"),
        "status": ("潜在客户", "意向客户"),
    }


def test_reassignment_is_recorded_by_name(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.manager, c, {"owner": people.rep3})
    event = AuditEvent.objects.get(customer=c, action="update")
    assert event.actor == people.manager
    assert changes_of(event)["owner"] == ("张伟", "陈静")


def test_saving_without_changes_writes_no_audit_row(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.rep, c, {"notes": "", "name": " 苏州精工机械有限公司 "})
    assert not AuditEvent.objects.filter(customer=c, action="update").exists()


def test_contact_add_update_and_delete_are_audited_on_the_customer(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    contact = services.add_contact(
        people.rep, c, {"name": "王芳", "title": "采购经理", "phone": "13812345678"}
    )
    services.update_contact(people.manager, contact, {"title": "采购总监"})
    services.delete_contact(people.rep, contact)
    events = list(AuditEvent.objects.filter(model="customers.contact").order_by("pk"))
    assert [(e.action, e.actor, e.customer_id) for e in events] == [
        ("create", people.rep, c.pk),
        ("update", people.manager, c.pk),
        ("delete", people.rep, c.pk),
    ]
    assert changes_of(events[0])["phone"] == ("", "13812345678")
    assert changes_of(events[1]) == {"title": ("采购经理", "采购总监")}
    assert changes_of(events[2])["name"] == ("王芳", "")


def test_an_unchanged_contact_save_writes_no_audit_row(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    contact = services.add_contact(people.rep, c, {"name": "王芳", "phone": "13812345678"})
    services.update_contact(people.rep, contact, {"phone": "+86 138 1234 5678"})
    assert not AuditEvent.objects.filter(model="customers.contact", action="update").exists()


def test_tag_and_collaborator_changes_are_audited(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.set_tags(people.rep, c, [people.urgent])
    services.set_tags(people.rep, c, [people.price])
    services.set_collaborators(people.rep, c, [people.rep3])
    updates = AuditEvent.objects.filter(customer=c, action="update").order_by("pk")
    assert [changes_of(e) for e in updates] == [
        {"tags": ("", "需求急迫")},
        {"tags": ("需求急迫", "价格敏感")},
        {"collaborators": ("", "陈静")},
    ]


def test_the_timeline_shows_who_changed_what_from_what_to_what(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司", city="苏州")
    services.update_customer(people.manager, c, {"city": "无锡"})
    contact = services.add_contact(people.rep, c, {"name": "王芳", "title": "采购经理"})
    services.update_contact(people.rep, contact, {"title": "采购总监"})
    timeline = timeline_of(login(people.rep), c)
    assert "李经理" in timeline and "张伟" in timeline
    assert "苏州</del> → " in timeline and "无锡" in timeline
    assert "采购经理</del> → " in timeline and "采购总监" in timeline


def test_the_timeline_is_newest_first(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.rep, c, {"city": "无锡"})
    services.update_customer(people.rep, c, {"notes": "最新的备注"})
    timeline = timeline_of(login(people.rep), c)
    assert timeline.index("最新的备注") < timeline.index("无锡") < timeline.index("苏州精工")


def test_a_viewer_reads_the_timeline(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    services.update_customer(people.rep, c, {"notes": "拜访记录"})
    assert "拜访记录" in timeline_of(login(people.viewer), c)


def test_a_refused_change_leaves_no_audit_row(people):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    before = AuditEvent.objects.count()
    for bad in ({"name": ""}, {"satisfaction": 9}, {"owner": people.rep3}):
        with pytest.raises((ValidationError, access.AccessDenied)):
            services.update_customer(people.rep, c, bad)
    assert AuditEvent.objects.count() == before
