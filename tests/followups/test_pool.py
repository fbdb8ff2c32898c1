"""The public pool: neglected customers are released, reps claim within limits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.accounts.access import AccessDenied
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.followups import pool, services
from kehu.followups.models import FollowUp, Notification, PoolEvent


def idle(customer, days):
    Customer.objects.filter(pk=customer.pk).update(
        last_contact_at=timezone.now() - timedelta(days=days)
    )


def test_recycle_releases_by_the_most_specific_rule(people, accounts):
    # rules: leads 30 days, A 90, B 60, anything else 45; a tier rule beats a status rule
    idle(accounts["a"], 70)  # an A lead: 90 days, not yet
    idle(accounts["b"], 70)  # B: past 60
    idle(accounts["c"], 31)  # a C lead: the lead rule, 30
    services.plan_all()
    assert pool.recycle() == 2
    released = set(Customer.objects.filter(pooled_at__isnull=False).values_list("name", flat=True))
    assert released == {"北京星辰网络科技有限公司", "杭州小蚂蚁文具店"}
    b = Customer.objects.get(pk=accounts["b"].pk)
    assert b.owner is None and b.next_followup_at is None
    event = PoolEvent.objects.get(customer=b)
    assert event.kind == "release" and event.user == people.rep2 and "60" in event.reason
    assert not FollowUp.objects.filter(customer=b, status__in=FollowUp.OPEN).exists()
    audit = AuditEvent.objects.filter(customer=b).latest("at")
    assert {c["field"] for c in audit.changes} == {"owner", "pooled_at"}
    assert Notification.objects.filter(user=people.rep2).count() == 1
    assert pool.recycle() == 0  # nothing left to release


def test_a_never_contacted_customer_counts_from_its_creation(people, accounts):
    Customer.objects.filter(pk=accounts["c"].pk).update(
        created_at=timezone.now() - timedelta(days=40), last_contact_at=None
    )
    assert pool.recycle() == 1


def test_a_rep_claims_from_the_pool_and_the_cadence_starts(people, accounts):
    idle(accounts["b"], 70)
    pool.recycle()
    claimed = pool.claim(people.rep, accounts["b"])
    assert claimed.owner == people.rep and claimed.team == people.hangzhou
    assert claimed.pooled_at is None
    assert FollowUp.objects.filter(customer=claimed, owner=people.rep, status="todo").exists()
    assert PoolEvent.objects.filter(customer=claimed, kind="claim", user=people.rep).exists()


def test_claims_per_day_are_limited(people, accounts, settings):
    settings.KEHU_POOL_CLAIMS_PER_DAY = 1
    for key in ("b", "c"):
        idle(accounts[key], 70)
    pool.recycle()
    pool.claim(people.rep3, accounts["b"])
    with pytest.raises(ValidationError) as err:
        pool.claim(people.rep3, accounts["c"])
    assert "1" in " ".join(err.value.messages)


def test_nobody_owns_more_than_the_maximum(people, accounts, settings):
    settings.KEHU_POOL_MAX_OWNED = 2  # 张伟 owns two already
    idle(accounts["b"], 70)
    pool.recycle()
    with pytest.raises(ValidationError):
        pool.claim(people.rep, accounts["b"])


def test_a_rep_cannot_reclaim_what_they_just_lost(people, accounts):
    idle(accounts["b"], 70)
    pool.recycle()
    with pytest.raises(ValidationError) as err:
        pool.claim(people.rep2, accounts["b"])
    assert "30" in " ".join(err.value.messages)
    pool.claim(people.rep, accounts["b"])  # someone else may


def test_viewers_cannot_claim_and_see_no_pool(people, accounts):
    idle(accounts["b"], 70)
    pool.recycle()
    with pytest.raises(AccessDenied):
        pool.claim(people.viewer, accounts["b"])
    assert not pool.pool_customers(people.viewer).exists()


def test_owner_releases_with_a_reason_others_cannot(people, accounts):
    with pytest.raises(ValidationError):
        pool.release(people.rep, accounts["c"], "")
    with pytest.raises(Http404):
        pool.release(people.rep2, accounts["c"], "不是我的")
    pool.release(people.rep, accounts["c"], "客户已转行")
    c = Customer.objects.get(pk=accounts["c"].pk)
    assert c.owner is None and c.pooled_at is not None
    assert PoolEvent.objects.get(customer=c).reason == "客户已转行"


def test_pool_page_lists_and_claims(people, accounts, login):
    idle(accounts["b"], 70)
    pool.recycle()
    client = login(people.rep3)
    page = client.get("/followups/pool/").content.decode()
    assert "北京星辰网络科技有限公司" in page and 'data-testid="limits"' in page
    response = client.post(f"/followups/pool/{accounts['b'].pk}/claim/")
    assert response.status_code == 302
    assert Customer.objects.get(pk=accounts["b"].pk).owner == people.rep3
    # the customer is gone from the pool: a second claim is refused
    assert login(people.rep).post(f"/followups/pool/{accounts['b'].pk}/claim/").status_code == 404


def test_the_timeline_records_the_release(people, accounts, login):
    pool.release(people.rep, accounts["c"], "客户已转行")
    page = login(people.director).get(f"/customers/{accounts['c'].pk}/").content.decode()
    assert "客户已转行" in page
