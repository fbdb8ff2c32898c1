import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Customer, CustomerShare


@pytest.fixture
def pair(people):
    keep = people.customer(people.rep, "杭州云帆科技有限公司", city="杭州")
    drop = people.customer(
        people.rep,
        "云帆科技（杭州）有限公司",
        province="浙江",
        core_needs="系统升级",
        notes="旧记录",
    )
    services.add_contact(people.rep, keep, {"name": "王芳", "phone": "13800000001"})
    services.add_contact(people.rep, drop, {"name": "李强", "phone": "13800000002"})
    services.set_tags(people.rep, keep, [people.urgent])
    services.set_tags(people.rep, drop, [people.urgent, people.price])
    services.set_collaborators(people.rep, drop, [people.rep2])
    return keep, drop


def test_merge_keeps_every_related_record(people, pair):
    keep, drop = pair
    drop_pk = drop.pk
    drop_events = AuditEvent.objects.filter(customer=drop).count()
    merged = services.merge_customers(people.rep, keep, drop)
    assert not Customer.objects.filter(pk=drop_pk).exists()
    assert sorted(merged.contacts.values_list("name", flat=True)) == ["李强", "王芳"]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["价格敏感", "需求急迫"]
    assert list(merged.collaborators.all()) == [people.rep2]
    # the dropped customer's history now shows on the kept one, plus the merge itself
    assert AuditEvent.objects.filter(customer=merged).count() >= drop_events + 1
    merge_event = AuditEvent.objects.get(customer=merged, action="merge")
    assert merge_event.changes[0]["old"].startswith("云帆科技（杭州）有限公司")


def test_merge_fills_empty_fields_from_the_dropped_customer_only(people, pair):
    keep, drop = pair
    merged = services.merge_customers(people.rep, keep, drop)
    assert merged.city == "杭州"  # kept value wins
    assert merged.province == "浙江"  # filled in
    assert merged.core_needs == "系统升级"


def test_merge_into_itself_is_refused(people, pair):
    keep, _drop = pair
    with pytest.raises(ValidationError) as err:
        services.merge_customers(people.rep, keep, keep)
    assert "other" in err.value.message_dict
    assert Customer.objects.filter(pk=keep.pk).exists()


def test_merge_page_refuses_itself_with_a_message(people, pair, login):
    keep, _drop = pair
    response = login(people.rep).post(f"/customers/{keep.pk}/merge/", {"other": keep.pk})
    assert response.status_code == 200
    assert "客户不能合并到自己" in response.content.decode()


def test_rep_cannot_merge_a_customer_they_cannot_edit(people, pair, login):
    keep, _drop = pair
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    with pytest.raises(Http404):
        services.merge_customers(people.rep, keep, theirs)
    response = login(people.rep).post(f"/customers/{keep.pk}/merge/", {"other": theirs.pk})
    assert response.status_code == 404
    assert Customer.objects.filter(pk=theirs.pk).exists()


def test_merge_page_shows_both_then_merges(people, pair, login):
    keep, drop = pair
    client = login(people.rep)
    preview = client.get(f"/customers/{keep.pk}/merge/", {"other": drop.pk}).content.decode()
    assert keep.name in preview and drop.name in preview
    response = client.post(f"/customers/{keep.pk}/merge/", {"other": drop.pk})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=drop.pk).exists()


def test_the_dropped_owner_keeps_access_as_collaborator(people):
    keep = people.customer(people.director, "深圳博远电子有限公司")
    drop = people.customer(people.rep, "博远电子（深圳）有限公司")
    services.merge_customers(people.director, keep, drop)
    assert CustomerShare.objects.filter(customer=keep, user=people.rep).exists()
