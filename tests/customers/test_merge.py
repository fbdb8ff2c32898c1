"""Merging two customers keeps every related record on the one kept."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Contact, Customer, CustomerShare


@pytest.fixture
def pair(people):
    keep = people.customer(people.rep, "杭州云帆科技有限公司", city="杭州")
    drop = people.customer(
        people.rep,
        "云帆科技（杭州）有限公司",
        province="浙江",
        city="滨江",
        core_needs="系统升级",
        channel=people.channel,
    )
    services.add_contact(people.rep, keep, {"name": "王芳", "phone": "13800000001"})
    services.add_contact(people.rep, drop, {"name": "李强", "phone": "13800000002"})
    services.set_tags(people.rep, keep, [people.urgent])
    services.set_tags(people.rep, drop, [people.urgent, people.price])
    services.set_collaborators(people.rep, drop, [people.rep2])
    keep.refresh_from_db()
    drop.refresh_from_db()
    return keep, drop


def snapshot():
    """Everything a refused merge must leave alone."""
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "version", "province")),
        list(Contact.objects.order_by("pk").values_list("pk", "customer_id", "is_primary")),
        AuditEvent.objects.count(),
        list(CustomerShare.objects.order_by("pk").values_list("customer_id", "user_id")),
    )


def test_contacts_tags_collaborators_and_history_move_to_the_kept_customer(people, pair):
    keep, drop = pair
    drop_pk = drop.pk
    drop_events = set(AuditEvent.objects.filter(customer=drop).values_list("pk", flat=True))
    merged = services.merge_customers(people.rep, keep, drop)
    assert not Customer.objects.filter(pk=drop_pk).exists()
    assert sorted(merged.contacts.values_list("name", flat=True)) == ["李强", "王芳"]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["价格敏感", "需求急迫"]
    assert list(merged.collaborators.all()) == [people.rep2]
    kept_events = set(AuditEvent.objects.filter(customer=merged).values_list("pk", flat=True))
    assert drop_events <= kept_events
    merge_event = AuditEvent.objects.get(customer=merged, action="merge")
    assert merge_event.actor == people.rep
    assert merge_event.changes[0]["old"] == f"云帆科技（杭州）有限公司 (#{drop_pk})"


def test_empty_fields_are_filled_from_the_dropped_customer_only(people, pair):
    keep, drop = pair
    merged = services.merge_customers(people.rep, keep, drop)
    assert merged.city == "杭州"  # the kept value wins
    assert merged.province == "浙江"  # filled in
    assert merged.core_needs == "系统升级"
    assert merged.channel == people.channel
    assert merged.name == "杭州云帆科技有限公司"


def test_amounts_add_up_and_follow_up_dates_keep_the_latest_contact_and_earliest_plan(people, pair):
    keep, drop = pair
    now = timezone.now()
    services.update_customer(
        people.rep,
        keep,
        {"cooperation_amount": Decimal("100.00"), "last_contact_at": now - timedelta(days=9)},
    )
    services.update_customer(
        people.rep,
        drop,
        {
            "cooperation_amount": Decimal("50.50"),
            "last_contact_at": now - timedelta(days=1),
            "next_followup_at": now + timedelta(days=3),
        },
    )
    merged = services.merge_customers(people.rep, keep, drop)
    assert merged.cooperation_amount == Decimal("150.50")
    assert merged.last_contact_at == now - timedelta(days=1)
    assert merged.next_followup_at == now + timedelta(days=3)


def test_the_kept_customer_keeps_a_single_primary_contact(people, pair):
    keep, drop = pair
    merged = services.merge_customers(people.rep, keep, drop)
    assert list(merged.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["王芳"]


def test_a_merged_in_contact_is_found_by_search_on_the_kept_customer(people, pair, login):
    keep, drop = pair
    services.merge_customers(people.rep, keep, drop)
    response = login(people.rep).get("/customers/", {"q": "13800000002"})
    assert [c.pk for c in response.context["page"].rows] == [keep.pk]


def test_merging_a_customer_into_itself_is_refused_and_writes_nothing(people, pair):
    keep, _drop = pair
    before = snapshot()
    with pytest.raises(ValidationError) as err:
        services.merge_customers(people.rep, keep, keep)
    assert "other" in err.value.message_dict
    assert snapshot() == before


def test_merge_page_refuses_itself_with_a_message(people, pair, login):
    keep, _drop = pair
    before = snapshot()
    response = login(people.rep).post(f"/customers/{keep.pk}/merge/", {"other": keep.pk})
    assert response.status_code == 200
    assert "客户不能合并到自己" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("foreign_side", ["keep", "drop"])
def test_rep_cannot_merge_a_customer_they_cannot_edit(people, pair, login, foreign_side):
    mine, _drop = pair
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    keep, drop = (theirs, mine) if foreign_side == "keep" else (mine, theirs)
    before = snapshot()
    with pytest.raises(Http404):
        services.merge_customers(people.rep, keep, drop)
    response = login(people.rep).post(f"/customers/{keep.pk}/merge/", {"other": drop.pk})
    assert response.status_code == 404
    assert snapshot() == before


def test_a_viewer_cannot_merge(people, pair, login):
    keep, drop = pair
    before = snapshot()
    with pytest.raises(Http404):
        services.merge_customers(people.viewer, keep, drop)
    assert (
        login(people.viewer).post(f"/customers/{keep.pk}/merge/", {"other": drop.pk}).status_code
        == 404
    )
    assert snapshot() == before


def test_merge_page_shows_both_then_merges(people, pair, login):
    keep, drop = pair
    client = login(people.rep)
    preview = client.get(f"/customers/{keep.pk}/merge/", {"other": drop.pk}).content.decode()
    assert keep.name in preview and drop.name in preview and "李强" in preview
    assert Customer.objects.filter(pk=drop.pk).exists()  # looking changes nothing
    response = client.post(f"/customers/{keep.pk}/merge/", {"other": drop.pk})
    assert response.status_code == 302 and response["Location"] == f"/customers/{keep.pk}/"
    assert not Customer.objects.filter(pk=drop.pk).exists()
    assert "合并" in client.get(f"/customers/{keep.pk}/").content.decode()


def test_merging_a_customer_number_that_does_not_exist_is_404(people, pair, login):
    keep, _drop = pair
    response = login(people.rep).post(f"/customers/{keep.pk}/merge/", {"other": 999999})
    assert response.status_code == 404


def test_the_dropped_owner_keeps_access_as_collaborator(people):
    keep = people.customer(people.director, "深圳博远电子有限公司")
    drop = people.customer(people.rep, "博远电子（深圳）有限公司")
    services.merge_customers(people.director, keep, drop)
    assert CustomerShare.objects.filter(customer=keep, user=people.rep).exists()


def test_the_kept_owner_is_never_their_own_collaborator(people):
    keep = people.customer(people.rep, "深圳博远电子有限公司")
    drop = people.customer(people.rep2, "博远电子（深圳）有限公司")
    services.set_collaborators(people.rep2, drop, [people.rep])
    services.merge_customers(people.director, keep, drop)
    assert list(CustomerShare.objects.filter(customer=keep).values_list("user", flat=True)) == [
        people.rep2.pk
    ]
