"""Bulk assign, tag and status from the list: all or nothing, audited row by row."""

import pytest
from django.core.exceptions import ValidationError

from kehu.accounts import access
from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Customer, CustomerTag


@pytest.fixture
def mine(people):
    made = [people.customer(people.rep, f"杭州测试{i}科技有限公司") for i in range(4)]
    services.set_tags(people.rep, made[0], [people.urgent])
    return made


def ids(customers):
    return ",".join(str(c.pk) for c in customers)


def nothing_changed_since(before):
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "owner", "status", "version"))
        == before[0]
        and CustomerTag.objects.count() == before[1]
        and AuditEvent.objects.count() == before[2]
    )


def state():
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "owner", "status", "version")),
        CustomerTag.objects.count(),
        AuditEvent.objects.count(),
    )


def test_bulk_status_is_applied_and_audited(people, mine, login):
    client = login(people.rep)
    response = client.post(
        "/customers/bulk/", {"action": "status", "ids": ids(mine[:3]), "status": "churned"}
    )
    assert response.status_code == 302
    assert Customer.objects.filter(status="churned").count() == 3
    events = AuditEvent.objects.filter(changes__0__field="status")
    assert sorted(e.customer_id for e in events) == sorted(c.pk for c in mine[:3])
    assert {(e.actor_id, e.changes[0]["old"], e.changes[0]["new"]) for e in events} == {
        (people.rep.pk, "潜在客户", "流失客户")
    }
    assert "已更新 3 个客户" in client.get("/customers/").content.decode()


def test_bulk_tag_adds_the_tag_once_and_audits_only_the_new_ones(people, mine, login):
    login(people.rep).post(
        "/customers/bulk/", {"action": "tag", "ids": ids(mine), "tag": people.urgent.pk}
    )
    assert Customer.objects.filter(tags=people.urgent).count() == 4
    added = AuditEvent.objects.filter(changes__0__field="tags", changes__0__new="+ 需求急迫")
    assert sorted(e.customer_id for e in added) == sorted(c.pk for c in mine[1:])


def test_bulk_assign_by_a_manager_moves_customers_to_the_new_team(people, mine, login):
    login(people.manager).post(
        "/customers/bulk/", {"action": "assign", "ids": ids(mine[:2]), "owner": people.rep3.pk}
    )
    assert Customer.objects.filter(owner=people.rep3, team=people.shanghai).count() == 2
    events = AuditEvent.objects.filter(changes__0__field="owner")
    assert {(e.actor_id, e.changes[0]["old"], e.changes[0]["new"]) for e in events} == {
        (people.manager.pk, "张伟", "陈静")
    }
    assert events.count() == 2


def test_bulk_changes_make_open_edit_forms_stale(people, mine):
    opened_at = mine[1].version
    services.bulk_set_status(people.rep, [mine[1].pk], Customer.Status.PROSPECT)
    with pytest.raises(services.StaleEdit):
        services.update_customer(people.rep, mine[1], {"notes": "x"}, version=opened_at)


def test_setting_the_status_a_customer_already_has_writes_nothing(people, mine):
    before = state()
    assert services.bulk_set_status(people.rep, [mine[0].pk], Customer.Status.LEAD) == 0
    assert nothing_changed_since(before)


@pytest.mark.parametrize(
    "action",
    [
        lambda p, i: services.bulk_set_status(p.rep, i, Customer.Status.CHURNED),
        lambda p, i: services.bulk_add_tag(p.rep, i, p.price),
        lambda p, i: services.bulk_assign(p.manager, i, p.rep3),
    ],
    ids=["status", "tag", "assign"],
)
def test_any_id_the_actor_cannot_change_refuses_the_whole_batch(people, mine, action):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    before = state()
    with pytest.raises(access.AccessDenied):
        action(people, [mine[0].pk, mine[1].pk, theirs.pk])
    assert nothing_changed_since(before)


def test_the_page_refuses_a_batch_with_a_foreign_customer_and_says_why(people, mine, login):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    before = state()
    client = login(people.rep)
    for data in (
        {"action": "status", "status": "churned"},
        {"action": "tag", "tag": people.price.pk},
    ):
        response = client.post("/customers/bulk/", {**data, "ids": f"{mine[0].pk},{theirs.pk}"})
        assert response.status_code == 302
    assert nothing_changed_since(before)
    assert "所选客户中有您无权修改的客户" in client.get("/customers/").content.decode()


def test_a_made_up_customer_number_refuses_the_batch(people, mine):
    before = state()
    with pytest.raises(access.AccessDenied):
        services.bulk_set_status(people.rep, [mine[0].pk, 999999], Customer.Status.CHURNED)
    assert nothing_changed_since(before)


def test_a_rep_cannot_bulk_assign(people, mine, login):
    before = state()
    with pytest.raises(access.AccessDenied):
        services.bulk_assign(people.rep, [mine[0].pk], people.rep)
    login(people.rep).post(
        "/customers/bulk/", {"action": "assign", "ids": ids(mine), "owner": people.rep3.pk}
    )
    assert nothing_changed_since(before)


def test_a_manager_cannot_bulk_assign_outside_their_subtree(people, mine, login):
    before = state()
    with pytest.raises(ValidationError):
        services.bulk_assign(people.manager, [mine[0].pk], people.rep2)
    login(people.manager).post(
        "/customers/bulk/", {"action": "assign", "ids": ids(mine), "owner": people.rep2.pk}
    )
    assert nothing_changed_since(before)


def test_a_viewer_cannot_bulk_change_anything(people, mine, login):
    before = state()
    login(people.viewer).post(
        "/customers/bulk/", {"action": "status", "ids": ids(mine), "status": "churned"}
    )
    assert nothing_changed_since(before)


@pytest.mark.parametrize(
    "data",
    [
        {"action": "status", "ids": "", "status": "churned"},
        {"action": "status", "ids": "1,abc", "status": "churned"},
        {"action": "status", "ids": "{first}", "status": "bogus"},
        {"action": "status", "ids": "{first}"},
        {"action": "explode", "ids": "{first}"},
    ],
)
def test_a_malformed_bulk_request_gets_a_message_and_writes_nothing(people, mine, login, data):
    data = {k: v.format(first=mine[0].pk) for k, v in data.items()}
    before = state()
    client = login(people.rep)
    response = client.post("/customers/bulk/", data)
    assert response.status_code == 302
    assert nothing_changed_since(before)
    assert "alert-danger" in client.get("/customers/").content.decode()


def test_the_page_goes_back_to_the_list_it_came_from(people, mine, login):
    response = login(people.rep).post(
        "/customers/bulk/",
        {
            "action": "status",
            "ids": ids(mine[:1]),
            "status": "prospect",
            "back": "tier=A&sort=name",
        },
    )
    assert response["Location"] == "/customers/?tier=A&sort=name"
