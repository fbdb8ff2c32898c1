"""Logging uses against a customer's allowance: within it, over it (refused or sent for the
manager's approval), ceilings per use, periods resetting, and who may do what."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.access import AccessDenied
from kehu.followups.models import Notification
from kehu.quotas import queries, services
from kehu.quotas.models import QuotaUsage

from .conftest import MARCH

log = services.record_usage


def standing(customer, quota, today):
    return next(s for s in queries.allowances_for(customer, today) if s.quota == quota)


def test_rep_logs_support_hours_within_the_allowance(people, quotas):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")
    usage = log(people.rep, customer, quotas["hours"], "5.5", MARCH, "上门调试")
    assert usage.status == QuotaUsage.Status.APPROVED
    assert usage.period_start == date(2026, 3, 1) and usage.tier == "B"
    s = standing(customer, quotas["hours"], MARCH)
    assert (s.allowance, s.used, s.remaining) == (Decimal(8), Decimal("5.5"), Decimal("2.5"))
    assert s.period_label == "2026-03"


def test_over_allowance_is_refused_naming_the_remaining_hours(people, refusing_hours):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")
    log(people.rep, customer, refusing_hours, "6", MARCH)
    with pytest.raises(ValidationError) as refused:
        log(people.rep, customer, refusing_hours, "3", MARCH)
    message = " ".join(refused.value.message_dict["amount"])
    assert "8" in message and "6" in message and "2" in message, message
    assert QuotaUsage.objects.count() == 1
    # what is left can still be used, to the hour
    assert log(people.rep, customer, refusing_hours, "2", MARCH).status == "approved"


def test_over_use_waits_for_the_managers_approval(people, quotas):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    log(people.rep, customer, quotas["hours"], "2", MARCH)
    usage = log(people.rep, customer, quotas["hours"], "3", MARCH, "紧急故障")
    assert usage.status == QuotaUsage.Status.PENDING
    # 李经理 manages 华东大区, above 杭州组: he is told
    told = Notification.objects.get(user=people.manager)
    assert customer.name in told.text and told.url == "/quotas/approvals/"
    assert not Notification.objects.filter(user=people.rep).exists()
    s = standing(customer, quotas["hours"], MARCH)
    assert (s.used, s.pending, s.remaining) == (Decimal(2), Decimal(3), Decimal(0))
    assert list(queries.pending_approvals(people.manager)) == [usage]

    services.decide_usage(people.manager, usage, approve=True, note="客户重要")
    usage.refresh_from_db()
    assert usage.status == "approved" and usage.decided_by == people.manager
    assert usage.decided_at is not None
    assert standing(customer, quotas["hours"], MARCH).used == Decimal(5)
    assert Notification.objects.filter(user=people.rep).count() == 1
    assert not queries.pending_approvals(people.manager).exists()


def test_a_rejected_over_use_does_not_count(people, quotas):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    usage = log(people.rep, customer, quotas["samples"], "1", MARCH)  # C has 0 samples
    assert usage.status == "pending"
    services.decide_usage(people.director, usage, approve=False, note="本季度不再赠送")
    s = standing(customer, quotas["samples"], MARCH)
    assert (s.used, s.pending) == (Decimal(0), Decimal(0))
    with pytest.raises(ValidationError):  # decided once
        services.decide_usage(people.director, usage, approve=True)


def test_a_discount_above_the_tiers_ceiling_is_refused(people, quotas):
    b = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")
    assert log(people.rep, b, quotas["discount"], "10", MARCH).status == "approved"
    with pytest.raises(ValidationError) as refused:
        log(people.rep, b, quotas["discount"], "12", MARCH)
    assert "10" in refused.value.message_dict["amount"][0]
    # a ceiling is per use: many uses at the ceiling are fine
    assert log(people.rep, b, quotas["discount"], "10", MARCH).status == "approved"
    s = standing(b, quotas["discount"], MARCH)
    assert s.allowance == Decimal(10) and s.used is None and s.remaining is None


def test_a_customer_without_a_tier_has_no_allowance(people, quotas):
    untiered = people.customer(people.rep, "杭州小蚂蚁文具店")
    s = standing(untiered, quotas["hours"], MARCH)
    assert (s.allowance, s.has_allowance) == (Decimal(0), False)
    assert log(people.rep, untiered, quotas["hours"], "1", MARCH).status == "pending"


def test_a_tier_without_an_allowance_row_has_none(people, quotas):
    q = quotas["hours"]
    services.save_quota(
        people.director,
        {"name": q.name, "unit": q.unit, "period": "month", "allowance_A": "20"},
        q,
    )
    b = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")
    s = standing(b, q, MARCH)
    assert (s.allowance, s.has_allowance, s.remaining) == (Decimal(0), False, Decimal(0))


def test_allowance_resets_at_the_quarter_boundary_in_shanghai_time(people, quotas):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")  # 4 a quarter
    samples = quotas["samples"]
    # 23:30 on 31 March in Shanghai (15:30 UTC): the first quarter's
    last_q1 = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert log(people.rep, customer, samples, "4", last_q1).period_start == date(2026, 1, 1)
    assert log(people.rep, customer, samples, "1", last_q1).status == "pending"
    # 00:10 on 1 April in Shanghai, still 31 March in UTC: a new quarter, a full allowance
    first_q2 = datetime(2026, 3, 31, 16, 10, tzinfo=UTC)
    usage = log(people.rep, customer, samples, "4", first_q2)
    assert (usage.used_on, usage.period_start, usage.status) == (
        date(2026, 4, 1),
        date(2026, 4, 1),
        "approved",
    )
    assert standing(customer, samples, date(2026, 4, 1)).remaining == Decimal(0)
    assert standing(customer, samples, date(2026, 3, 31)).remaining == Decimal(0)
    assert standing(customer, samples, date(2026, 7, 1)).remaining == Decimal(4)


def test_allowance_resets_at_the_month_boundary_for_a_user_in_another_time_zone(people, quotas):
    """A rep travelling in New York logs hours at 11:30 on 31 March New York time — already
    23:30 in Shanghai, still March; at 12:10 it is 00:10 on 1 April in Shanghai: April's."""
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")  # 2 hours a month
    new_york = ZoneInfo("America/New_York")
    with timezone.override(new_york):
        march = log(
            people.rep,
            customer,
            quotas["hours"],
            "2",
            datetime(2026, 3, 31, 11, 30, tzinfo=new_york),
        )
        april = log(
            people.rep,
            customer,
            quotas["hours"],
            "2",
            datetime(2026, 3, 31, 12, 10, tzinfo=new_york),
        )
    assert (march.period_start, march.status) == (date(2026, 3, 1), "approved")
    assert (april.used_on, april.period_start, april.status) == (
        date(2026, 4, 1),
        date(2026, 4, 1),
        "approved",
    )


def test_rep_cannot_log_usage_on_another_reps_customer(people, quotas):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司", tier="A")
    with pytest.raises(Http404):
        log(people.rep, theirs, quotas["hours"], "1", MARCH)
    with pytest.raises(Http404):
        log(people.viewer, theirs, quotas["hours"], "1", MARCH)
    assert not QuotaUsage.objects.exists()


def test_the_requester_cannot_approve_their_own_over_use(people, quotas):
    own = people.customer(people.manager, "宁波金桥精密制造有限公司", tier="C")
    usage = log(people.manager, own, quotas["hours"], "5", MARCH)
    assert usage.status == "pending"
    assert not queries.pending_approvals(people.manager).exists()
    with pytest.raises(AccessDenied):
        services.decide_usage(people.manager, usage, approve=True)
    # the director decides it
    assert queries.pending_approvals(people.director).get() == usage
    services.decide_usage(people.director, usage, approve=True)


def test_only_the_customers_manager_or_a_director_decides(people, quotas):
    hangzhou = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    beijing = people.customer(people.rep2, "北京星辰网络科技有限公司", tier="C")
    here = log(people.rep, hangzhou, quotas["samples"], "1", MARCH)
    there = log(people.rep2, beijing, quotas["samples"], "1", MARCH)
    with pytest.raises(AccessDenied):
        services.decide_usage(people.rep, here, approve=True)
    with pytest.raises(Http404):  # 李经理 (华东) cannot even see 北京's customer
        services.decide_usage(people.manager, there, approve=True)
    # no manager up 北京组's tree: the director is told
    assert Notification.objects.filter(user=people.director, customer=beijing).exists()
    assert not queries.pending_approvals(people.rep).exists()
    assert not queries.pending_approvals(people.viewer).exists()


def test_bad_amounts_are_refused_naming_the_field(people, quotas):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="A")
    for bad in ("", "abc", "0", "-1"):
        with pytest.raises(ValidationError) as refused:
            log(people.rep, customer, quotas["hours"], bad, MARCH)
        assert "amount" in refused.value.message_dict
    assert not QuotaUsage.objects.exists()


def test_logging_a_use_locks_the_customer_row(people, quotas):
    """Two uses at the same moment must not both read the same remainder: the customer's row
    is locked before the sum is read (SQLite serialises writers anyway)."""
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="A")
    with CaptureQueriesContext(connection) as captured:
        log(people.rep, customer, quotas["hours"], "1", MARCH)
    sql = [q["sql"] for q in captured.captured_queries]
    if connection.features.has_select_for_update:
        lock = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "customer" in s)
        summed = next(i for i, s in enumerate(sql) if "SUM" in s.upper())
        assert lock < summed


# --- defining quotas ------------------------------------------------------------------------
def test_only_directors_and_admins_define_quotas(people, quotas):
    for someone in (people.manager, people.rep, people.viewer):
        with pytest.raises(AccessDenied):
            services.save_quota(someone, {"name": "上门培训", "unit": "次", "period": "year"})
    q = services.save_quota(people.admin, {"name": "上门培训", "unit": "次", "period": "year"})
    assert q.kind == "allowance" and q.over_use == "approval"


def test_a_bad_quota_is_refused_naming_the_field(people, quotas):
    with pytest.raises(ValidationError) as refused:
        services.save_quota(
            people.director,
            {
                "name": "技术支持工时",
                "unit": "",
                "kind": "ceiling",
                "period": "month",
                "allowance_B": "-3",
            },
        )
    errors = refused.value.message_dict
    assert {"name", "unit", "period", "allowance_B"} <= set(errors)


def test_a_stale_quota_form_is_refused(people, quotas):
    q = quotas["hours"]
    data = {"name": q.name, "unit": "小时", "period": "month", "allowance_A": "30"}
    services.save_quota(people.director, data, q, version=q.version)
    with pytest.raises(ValidationError) as refused:
        services.save_quota(people.director, data, q, version=q.version)
    assert "__all__" in refused.value.message_dict


def test_an_inactive_quota_takes_no_more_uses(people, quotas):
    q = quotas["hours"]
    q = services.save_quota(
        people.director, {"name": q.name, "unit": q.unit, "period": "month", "active": False}, q
    )
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="A")
    with pytest.raises(ValidationError) as refused:
        log(people.rep, customer, q, "1", MARCH)
    assert "quota" in refused.value.message_dict
