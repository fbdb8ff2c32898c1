"""Logging an interaction: last contact, the planned follow-up it completes, the next one."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.core.workdays import work_calendar
from kehu.customers.models import Customer
from kehu.followups import services
from kehu.followups.models import FollowUp, Interaction


def test_logging_updates_last_contact_and_completes_the_planned_follow_up(people, accounts):
    a = accounts["a"]
    planned = services.plan_customer(Customer.objects.get(pk=a.pk))
    mine = next(f for f in planned if f.owner_id == people.rep.pk)
    interaction = services.log_interaction(
        people.rep, a, method="phone", content="确认了下季度采购计划", feedback="预算已批"
    )
    a.refresh_from_db()
    assert a.last_contact_at == interaction.at
    mine.refresh_from_db()
    assert mine.status == "done" and mine.interaction == interaction
    assert "下季度采购计划" in mine.result


def test_the_next_follow_up_is_planned_from_the_tier_cadence(people, accounts):
    a = accounts["a"]
    services.log_interaction(people.rep, a, method="visit", content="上门拜访")
    nxt = FollowUp.objects.get(customer=a, owner=people.rep, status="todo")
    calendar = work_calendar()
    expected = calendar.add(timezone.localdate() + timedelta(days=7), 0)
    assert nxt.due_on == expected and calendar.is_working_day(nxt.due_on)
    assert nxt.origin == "cadence" and nxt.rule.tier == "A"
    # the director's monthly executive touch is planned too, for the director
    assert FollowUp.objects.filter(customer=a, owner=people.director, status="todo").exists()
    a.refresh_from_db()
    assert a.next_followup_at is not None


def test_a_date_given_for_the_next_follow_up_replaces_the_cadence_one(people, accounts):
    a = accounts["a"]
    services.plan_customer(Customer.objects.get(pk=a.pk))
    friday = timezone.localdate() + timedelta(days=3)
    services.log_interaction(
        people.rep, a, method="phone", content="约了演示", next_step="产品演示", next_on=friday
    )
    open_mine = FollowUp.objects.filter(customer=a, owner=people.rep, status="todo")
    assert open_mine.count() == 1
    assert open_mine.get().content == "产品演示"
    assert open_mine.get().due_on >= friday


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content": "  "}, "content"),
        ({"method": "telepathy"}, "method"),
        ({"at": timezone.now() + timedelta(days=2)}, "at"),
        ({"next_on": timezone.localdate() - timedelta(days=1)}, "next_on"),
    ],
)
def test_bad_interactions_are_refused_naming_the_field(people, accounts, changes, field):
    data = {"method": "phone", "content": "沟通", **changes}
    with pytest.raises(ValidationError) as err:
        services.log_interaction(people.rep, accounts["a"], **data)
    assert field in err.value.message_dict
    assert not Interaction.objects.exists()


def test_rep_cannot_log_on_another_reps_customer(people, accounts):
    with pytest.raises(Http404):
        services.log_interaction(people.rep, accounts["b"], method="phone", content="越权")


def test_viewer_cannot_log(people, accounts):
    with pytest.raises(Http404):
        services.log_interaction(people.viewer, accounts["a"], method="phone", content="只读")


def test_customer_page_logs_and_shows_the_interaction(people, accounts, login):
    client = login(people.rep)
    a = accounts["a"]
    response = client.post(
        f"/followups/customers/{a.pk}/log/",
        {"method": "wechat", "content": "发送了报价单", "feedback": "考虑中"},
        follow=True,
    )
    page = response.content.decode()
    assert 'data-testid="timeline-interaction"' in page and "发送了报价单" in page
    assert Interaction.objects.get().user == people.rep


def test_a_stranger_guessing_the_log_url_gets_404(people, accounts, login):
    response = login(people.rep2).post(
        f"/followups/customers/{accounts['a'].pk}/log/", {"method": "phone", "content": "x"}
    )
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_plan_a_follow_up_by_hand_lands_on_a_working_day(people, accounts):
    saturday = timezone.localdate() + timedelta(days=(5 - timezone.localdate().weekday()) % 7 or 7)
    followup = services.plan_followup(
        people.rep, accounts["c"], due_on=saturday, method="phone", content="节后回访"
    )
    assert work_calendar().is_working_day(followup.due_on) and followup.due_on >= saturday
    assert followup.origin == "manual"


def test_cancelling_needs_a_reason_and_plans_the_next(people, accounts):
    c = Customer.objects.get(pk=accounts["c"].pk)
    [planned] = services.plan_customer(c)
    with pytest.raises(ValidationError):
        services.set_followup_status(people.rep, planned, "cancelled")
    services.set_followup_status(people.rep, planned, "cancelled", "客户暂停合作")
    assert FollowUp.objects.filter(customer=c, status="todo").count() == 1
    with pytest.raises(ValidationError):
        services.set_followup_status(people.rep, planned, "done")


def test_merging_two_customers_keeps_one_plan_per_cadence_and_all_interactions(people, accounts):
    from kehu.customers import services as customer_services

    twin = people.customer(people.rep, "杭州云帆科技", tier="A")
    services.plan_all()
    services.log_interaction(people.rep, twin, method="phone", content="重复客户上的记录")
    customer_services.merge_customers(people.rep, accounts["a"], twin)
    open_rules = list(
        FollowUp.objects.filter(customer=accounts["a"], status="todo").values_list(
            "rule_id", flat=True
        )
    )
    assert len(open_rules) == len(set(open_rules)) == 2  # weekly + the director's monthly
    assert Interaction.objects.get().customer_id == accounts["a"].pk


def test_another_rep_cannot_open_or_change_my_follow_up(people, accounts, login):
    [followup, *_] = services.plan_customer(Customer.objects.get(pk=accounts["c"].pk))
    other = login(people.rep2)
    assert other.get(f"/followups/{followup.pk}/log/").status_code == 404
    assert other.post(f"/followups/{followup.pk}/status/", {"status": "doing"}).status_code == 404
    followup.refresh_from_db()
    assert followup.status == "todo"
