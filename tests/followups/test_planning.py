"""Cadences: planning for everyone set-based, re-planning on a tier change, the director's
edits, escalation of overdue follow-ups."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.accounts.access import AccessDenied
from kehu.core.workdays import WorkCalendar, work_calendar
from kehu.customers.models import Customer
from kehu.followups import services
from kehu.followups.cadence import next_due, next_due_many
from kehu.followups.models import CadenceRule, FollowUp, Notification


def test_plan_all_plans_each_rule_once_and_is_idempotent(people, accounts):
    planned = services.plan_all()
    # A: owner every 7 days + director monthly; B: fortnightly + quarterly; C: monthly
    assert planned == 5
    assert services.plan_all() == 0
    a_rules = set(
        FollowUp.objects.filter(customer=accounts["a"]).values_list("owner__username", flat=True)
    )
    assert a_rules == {"rep", "director"}
    calendar = work_calendar()
    assert all(
        calendar.is_working_day(d) for d in FollowUp.objects.values_list("due_on", flat=True)
    )


def test_plan_all_counts_from_the_last_contact_but_never_into_the_past(people, accounts):
    long_ago = timezone.now() - timedelta(days=100)
    recent = timezone.now() - timedelta(days=2)
    Customer.objects.filter(pk=accounts["a"].pk).update(last_contact_at=recent)
    Customer.objects.filter(pk=accounts["c"].pk).update(last_contact_at=long_ago)
    services.plan_all()
    today = timezone.localdate()
    weekly = FollowUp.objects.get(customer=accounts["a"], rule__every_days=7)
    assert weekly.due_on == work_calendar().add(timezone.localdate(recent) + timedelta(days=7), 0)
    monthly_c = FollowUp.objects.get(customer=accounts["c"])
    assert monthly_c.due_on == work_calendar().add(today, 0)


def test_plan_all_agrees_with_planning_one_customer(people, accounts):
    Customer.objects.filter(pk=accounts["b"].pk).update(
        last_contact_at=timezone.now() - timedelta(days=3)
    )
    services.plan_customer(Customer.objects.get(pk=accounts["b"].pk))
    one = sorted(FollowUp.objects.values_list("rule_id", "due_on", "owner_id"))
    FollowUp.objects.all().delete()
    services.plan_all()
    everyone = sorted(
        FollowUp.objects.filter(customer=accounts["b"]).values_list("rule_id", "due_on", "owner_id")
    )
    assert one == everyone


def test_a_tier_change_re_plans(people, accounts):
    from kehu.tiering import services as tiering

    c = accounts["c"]
    services.plan_all()
    assert FollowUp.objects.filter(customer=c, status="todo", rule__tier="C").exists()
    tiering.set_override(
        people.manager, c, "A", "战略客户", timezone.localdate() + timedelta(days=30)
    )
    assert not FollowUp.objects.filter(customer=c, status="todo", rule__tier="C").exists()
    assert FollowUp.objects.filter(customer=c, status="todo", rule__tier="A").count() == 2


def test_the_list_overdue_filter_follows_the_plan(people, accounts, login):
    services.plan_all()
    FollowUp.objects.filter(customer=accounts["c"]).update(due_on=date(2026, 1, 5))
    services.sync_next_followup()
    response = login(people.rep).get("/customers/?overdue=on")
    assert [c.name for c in response.context["page"].rows] == ["杭州小蚂蚁文具店"]


def test_only_a_director_edits_cadences(people, cadence):
    with pytest.raises(AccessDenied):
        services.save_cadence(people.manager, [])


def test_director_changes_the_c_cadence_on_the_page(people, cadence, login):
    client = login(people.director)
    page = client.get("/followups/cadence/")
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {
        "rule-TOTAL_FORMS": str(len(formset.forms)),
        "rule-INITIAL_FORMS": str(formset.initial_form_count()),
        "rule-MIN_NUM_FORMS": "0",
        "rule-MAX_NUM_FORMS": "1000",
        "pool_tier": ["A", "B", ""],
        "pool_status": ["", "", ""],
        "pool_days": ["60", "45", "30"],
    }
    for i, form in enumerate(formset.forms):
        rule = form.instance
        if not rule.pk:  # an empty extra row, as the browser sends it
            data |= {f"rule-{i}-tier": "", f"rule-{i}-who": "owner", f"rule-{i}-method": ""}
            data |= {f"rule-{i}-every_days": "", f"rule-{i}-content": "", f"rule-{i}-active": "on"}
            continue
        data |= {
            f"rule-{i}-id": str(rule.pk),
            f"rule-{i}-tier": rule.tier,
            f"rule-{i}-every_days": "21" if rule.tier == "C" else str(rule.every_days),
            f"rule-{i}-who": rule.who,
            f"rule-{i}-method": rule.method,
            f"rule-{i}-content": rule.content,
            f"rule-{i}-active": "on",
        }
    response = client.post("/followups/cadence/", data)
    assert response.status_code == 302, (
        response.context["formset"].errors,
        [str(m) for m in response.context["messages"]],
    )
    assert CadenceRule.objects.get(tier="C").every_days == 21
    assert CadenceRule.objects.count() == 5


def test_rep_and_manager_cannot_open_the_cadence_page(people, cadence, login):
    for person in (people.rep, people.manager, people.viewer):
        assert login(person).get("/followups/cadence/").status_code == 404


def test_an_overdue_follow_up_is_escalated_to_the_manager_once(people, accounts):
    services.plan_all()
    late = FollowUp.objects.filter(customer=accounts["a"], owner=people.rep).get()
    monday = date(2026, 11, 23)
    late.due_on = date(2026, 11, 17)  # Tuesday the week before: 4 working days overdue
    late.save()
    assert services.escalate_overdue(today=monday) == 1
    note = Notification.objects.get(user=people.manager)
    assert "杭州云帆科技有限公司" in note.text and "张伟" in note.text
    assert services.escalate_overdue(today=monday) == 0
    # only two working days overdue: not yet
    FollowUp.objects.filter(pk=late.pk).update(due_on=date(2026, 11, 19), escalated_at=None)
    assert services.escalate_overdue(today=monday) == 0


# --- the cadence arithmetic, on plain data ---------------------------------------------------

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@given(
    last=st.lists(st.one_of(st.none(), days), min_size=1, max_size=30),
    every=st.integers(1, 120),
    today=days,
    holidays=st.frozensets(days, max_size=40),
    workdays=st.frozensets(days.filter(lambda d: d.weekday() >= 5), max_size=10),
)
@settings(max_examples=100, deadline=None)
def test_next_due_is_a_working_day_not_before_today_and_the_vectorised_one_agrees(
    last, every, today, holidays, workdays
):
    calendar = WorkCalendar(holidays - workdays, workdays)
    one = [next_due(calendar, d, every, today) for d in last]
    for d, due in zip(last, one, strict=True):
        assert calendar.is_working_day(due)
        assert due >= today
        assert due >= (d or today) + timedelta(days=every)
    many = next_due_many(calendar, np.array(last, dtype="datetime64[D]"), every, today)
    assert [d.item() for d in many] == one


def test_a_make_up_saturday_can_be_the_due_day():
    saturday = date(2026, 10, 10)  # worked (调休)
    calendar = WorkCalendar(frozenset(), frozenset({saturday}))
    assert next_due(calendar, date(2026, 10, 3), 7, date(2026, 10, 1)) == saturday


def test_reassigning_a_customer_hands_over_its_open_follow_ups(people, accounts):
    from kehu.customers import services as customer_services

    services.plan_all()
    customer_services.bulk_assign(people.manager, [accounts["a"].pk], people.rep3)
    owners = dict(
        FollowUp.objects.filter(customer=accounts["a"], status="todo").values_list(
            "rule__who", "owner__username"
        )
    )
    assert owners == {"owner": "rep3", "director": "director"}
