"""Churn warnings: customers at risk, each with its reasons (falling purchase frequency, overdue
follow-ups, open complaints, low satisfaction), strongest first; and the churned list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.followups.models import FollowUp
from kehu.followups.services import sync_next_followup
from kehu.sales import churn, services
from kehu.sales.lifecycle import Scope, scope_for
from kehu.sales.models import Feedback

from .conftest import buy

pytestmark = pytest.mark.usefixtures("churn_settings")


def ago(days: int):
    return timezone.localdate() - timedelta(days=days)


def complain(actor, customer, severity=Feedback.Severity.MEDIUM, **data):
    return services.open_feedback(
        actor,
        customer,
        {"summary": "交货延迟", "category": "delivery", "severity": severity, **data},
    )


def answer(actor, customer, kind, score, day=None):
    return services.record_answer(
        actor, customer, {"kind": kind, "score": score, "answered_on": day or ago(0)}
    )


def overdue(customer, days_late: int, status=FollowUp.Status.TODO):
    followup = FollowUp.objects.create(
        customer=customer,
        owner=customer.owner,
        due_on=ago(days_late),
        method="phone",
        content="回访",
        status=status,
    )
    sync_next_followup([customer.pk])  # as every follow-up write does
    return followup


@pytest.fixture
def risks(people):
    """张伟's (rep) customers, each at risk for known reasons, and some that are not."""
    rep = people.rep
    c = {
        name: people.customer(rep, name)
        for name in ("worst", "slowing", "complaining", "nps", "csat", "neglected", "healthy")
    }
    # falling frequency: ordered every 100 days, so one was due 50 days ago
    for key in ("worst", "slowing"):
        buy(rep, c[key], ago(300), "1000.00")
        buy(rep, c[key], ago(200), "1000.00")
    complain(rep, c["worst"], Feedback.Severity.HIGH)
    answer(rep, c["worst"], "csat", 1)
    complain(rep, c["complaining"], Feedback.Severity.LOW)
    buy(rep, c["nps"], ago(10), "5000.00")  # same weight as "csat", but buys more
    answer(rep, c["nps"], "nps", 3)
    answer(rep, c["csat"], "csat", 1)
    overdue(c["neglected"], 5)
    overdue(c["neglected"], 3)
    # healthy: a steady rhythm, praise, a resolved complaint, fair answers, an old bad one,
    # a follow-up done late and one not due yet
    buy(rep, c["healthy"], ago(60), "800.00")
    buy(rep, c["healthy"], ago(30), "800.00")  # due in 15 days
    complain(rep, c["healthy"], kind="praise")
    done = complain(rep, c["healthy"])
    services.update_feedback(
        rep, done, {"status": "resolved", "resolution": "补发"}, version=done.version
    )
    answer(rep, c["healthy"], "csat", 3)
    answer(rep, c["healthy"], "nps", 7)
    answer(rep, c["healthy"], "csat", 1, ago(200))  # outside the 180-day window
    overdue(c["healthy"], 10, status=FollowUp.Status.DONE)
    FollowUp.objects.create(
        customer=c["healthy"], owner=rep, due_on=ago(-3), method="phone", status="todo"
    )
    return c


def names(warnings) -> list[str]:
    return [w.customer.name for w in warnings]


def test_each_reason_is_a_warning_and_the_strongest_come_first(people, risks):
    warnings, count = churn.churn_warnings(people.rep, scope_for(people.rep))
    assert names(warnings) == ["worst", "slowing", "complaining", "nps", "csat", "neglected"]
    assert count == 6
    reasons = {w.customer.name: [r[0] for r in w.reasons] for w in warnings}
    assert reasons == {
        "worst": ["frequency", "complaint", "satisfaction"],
        "slowing": ["frequency"],
        "complaining": ["complaint"],
        "nps": ["satisfaction"],
        "csat": ["satisfaction"],
        "neglected": ["overdue"],
    }
    scores = [w.score for w in warnings]
    # weights: frequency 3, complaint 2 + severity / 2, satisfaction 2, overdue 1 + days / 30
    # for the oldest (5 days late)
    assert scores == [8.5, 3, 2.5, 2, 2, 1 + 5 / 30]


def test_each_reason_says_why_and_links_to_its_evidence(people, risks):
    warnings, _count = churn.churn_warnings(people.rep)
    by_name = {
        w.customer.name: {key: (text, url) for key, text, url in w.reasons} for w in warnings
    }
    text, url = by_name["slowing"]["frequency"]
    assert str(ago(200)) in text and str(ago(50)) in text  # last order, and when one was due
    assert url.endswith(f"/{risks['slowing'].pk}/#orders")
    text, url = by_name["neglected"]["overdue"]
    assert "2" in text and str(ago(5)) in text
    assert url.endswith("#followups")
    _text, url = by_name["complaining"]["complaint"]
    assert f"customer={risks['complaining'].pk}" in url and "open=1" in url
    assert by_name["worst"]["satisfaction"][1].endswith("#satisfaction")


def test_a_rep_sees_only_warnings_about_their_own_customers(people, risks):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    complain(people.rep2, theirs)
    rep_sees, _n = churn.churn_warnings(people.rep, scope_for(people.rep))
    assert "北京星辰网络科技有限公司" not in names(rep_sees)
    rep2_sees, n = churn.churn_warnings(people.rep2, scope_for(people.rep2))
    assert names(rep2_sees) == ["北京星辰网络科技有限公司"] and n == 1
    # the manager of 华东大区 sees 张伟's, not 赵磊's of 华北
    manager_sees, _n = churn.churn_warnings(people.manager, scope_for(people.manager))
    assert set(names(manager_sees)) == set(names(rep_sees))
    # the director sees everyone's, and may narrow to one person
    everyone, n = churn.churn_warnings(people.director, Scope())
    assert n == 7 and names(everyone)[:2] == ["worst", "slowing"]
    assert "北京星辰网络科技有限公司" in names(everyone)
    one, n = churn.churn_warnings(people.director, Scope(user=people.rep2))
    assert names(one) == ["北京星辰网络科技有限公司"] and n == 1


def test_the_list_is_cut_at_the_limit_but_counts_everyone_at_risk(people, risks):
    warnings, count = churn.churn_warnings(people.rep, limit=2)
    assert names(warnings) == ["worst", "slowing"] and count == 6


def test_customers_already_churned_get_no_warning_but_are_on_the_churned_list(people, risks):
    rep = people.rep
    marked = people.customer(rep, "marked")
    complain(rep, marked)
    overdue(marked, 5)
    customer_services.bulk_set_status(rep, [marked.pk], Customer.Status.CHURNED)
    silent = people.customer(rep, "silent")  # no order for more than a year
    buy(rep, silent, ago(500), "100.00")
    buy(rep, silent, ago(400), "100.00")
    complain(rep, silent)
    answer(rep, silent, "nps", 2)

    warnings, count = churn.churn_warnings(rep)
    assert "marked" not in names(warnings) and "silent" not in names(warnings)
    assert count == 6
    churned = churn.churned_customers(rep, scope_for(rep))
    assert sorted(c.name for c in churned) == ["marked", "silent"]


def test_the_churned_list_keeps_to_what_the_actor_sees(people, risks):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    buy(people.rep2, theirs, ago(366), "100.00")
    mine = people.customer(people.rep, "杭州西溪茶业")
    buy(people.rep, mine, ago(365), "100.00")  # exactly a year without an order
    recent = people.customer(people.rep, "杭州小蚂蚁文具店")
    buy(people.rep, recent, ago(364), "100.00")
    assert [c.name for c in churn.churned_customers(people.rep)] == ["杭州西溪茶业"]
    everyone = churn.churned_customers(people.director, Scope())
    assert sorted(c.name for c in everyone) == ["北京星辰网络科技有限公司", "杭州西溪茶业"]
    north = churn.churned_customers(people.director, Scope(team=people.north))
    assert [c.name for c in north] == ["北京星辰网络科技有限公司"]
