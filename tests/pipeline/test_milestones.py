"""Conversion milestones: started by a stage, owned by a role, due in working days (holidays
and make-up workdays counted), on the owner's My day, done by hand or by logging."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from kehu.core.models import CalendarDay
from kehu.followups import services as followups
from kehu.followups.models import FollowUp
from kehu.pipeline import milestones, services
from kehu.pipeline.models import Milestone, Stage


@pytest.fixture
def stages(db):
    services.ensure_default_stages()
    return {s.name: s for s in Stage.objects.all()}


@pytest.fixture
def deal(people, stages):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    return services.create_deal(people.rep, customer, {"title": "ERP 升级", "amount": "120000"})


def test_entering_a_stage_starts_its_milestone_for_the_role(people, deal, stages):
    services.move_stage(people.rep, deal, stages["方案制定"])
    milestone = Milestone.objects.get(deal=deal, name="方案提交")
    assert milestone.owner == people.manager  # the account manager of 杭州组 (华东)
    assert milestone.followup.origin == "milestone"
    assert milestone.followup.owner == people.manager
    services.move_stage(people.rep, deal, stages["合同谈判"])
    assert Milestone.objects.get(deal=deal, name="合同谈判").owner == people.director


def test_a_deadline_counts_working_days_across_a_holiday_and_a_make_up_day(people, deal, stages):
    # Wednesday 30 Sep 2026; 1–7 Oct off (National Day), Saturday 10 Oct worked (调休)
    CalendarDay.objects.create(day=date(2026, 10, 10), kind="workday", name="调休上班")
    for d in range(1, 8):
        CalendarDay.objects.update_or_create(day=date(2026, 10, d), defaults={"kind": "holiday"})
    moment = timezone.make_aware(datetime(2026, 9, 30, 10))
    [milestone] = milestones.start(deal, stages["方案制定"], now=moment)
    assert milestone.due_on == date(2026, 10, 10)  # Thu 8, Fri 9, Sat 10 (made up)


def test_a_milestone_is_on_its_owners_my_day_and_goes_overdue(people, deal, stages, login):
    services.move_stage(people.rep, deal, stages["方案制定"])
    FollowUp.objects.filter(origin="milestone").update(due_on=date(2026, 1, 5))
    sections = login(people.manager).get("/followups/today/").context["sections"]
    assert [f.content for f in sections["overdue"]] == ["ERP 升级 · 方案提交"]


def test_done_by_hand_or_by_logging_the_interaction(people, deal, stages, login):
    services.move_stage(people.rep, deal, stages["方案制定"])
    milestone = Milestone.objects.get(deal=deal, name="方案提交")
    followups.log_interaction(
        people.manager,
        deal.customer,
        method="email",
        content="方案已发送",
        followup=milestone.followup,
    )
    milestone.refresh_from_db()
    assert milestone.done_at is not None and milestone.done_by == people.manager
    services.move_stage(people.rep, deal, stages["合同谈判"])
    negotiation = Milestone.objects.get(deal=deal, name="合同谈判")
    login(people.director).post(f"/deals/milestones/{negotiation.pk}/done/")
    negotiation.refresh_from_db()
    assert negotiation.followup.status == "done" and negotiation.done_by == people.director


def test_a_rep_logging_a_call_does_not_tick_off_a_milestone(people, deal, stages):
    services.move_stage(people.rep, deal, stages["需求分析"])  # 需求确认: the owner's
    followups.log_interaction(people.rep, deal.customer, method="phone", content="例行回访")
    assert Milestone.objects.get(deal=deal, name="需求确认").done_at is None


def test_losing_the_deal_cancels_its_open_milestones(people, deal, stages):
    services.move_stage(people.rep, deal, stages["方案制定"])
    services.move_stage(people.rep, deal, stages["输单"], lost_reason="预算取消")
    assert FollowUp.objects.get(origin="milestone").status == "cancelled"


def test_another_rep_cannot_tick_a_milestone(people, deal, stages, login):
    services.move_stage(people.rep, deal, stages["需求分析"])
    milestone = Milestone.objects.get(deal=deal)
    assert login(people.rep2).post(f"/deals/milestones/{milestone.pk}/done/").status_code == 404


def test_director_changes_a_milestone_deadline_on_the_stages_page(people, stages, login):
    from kehu.pipeline.models import MilestoneTemplate

    client = login(people.director)
    templates = list(MilestoneTemplate.objects.all())
    data = {"rows": "0", "m_rows": str(len(templates) + 1)}
    for i, t in enumerate(templates):
        data |= {
            f"m_id_{i}": t.pk,
            f"m_name_{i}": t.name,
            f"m_stage_{i}": t.trigger_stage_id,
            f"m_role_{i}": t.role,
            f"m_days_{i}": "4" if t.name == "方案提交" else ("" if t.days is None else t.days),
        }
    n = len(templates)
    data |= {
        f"m_name_{n}": "样品寄送",
        f"m_stage_{n}": stages["报价"].pk,
        f"m_role_{n}": "owner",
        f"m_days_{n}": "2",
    }
    with_stages = client.get("/deals/stages/").context
    for i, s in enumerate(with_stages["stages"]):
        data |= {
            f"id_{i}": s.pk,
            f"order_{i}": i,
            f"name_{i}": s.name,
            f"kind_{i}": s.kind,
            f"probability_{i}": s.probability,
            f"color_{i}": s.color,
            f"active_{i}": "on",
        }
    data["rows"] = str(len(with_stages["stages"]))
    assert client.post("/deals/stages/", data).status_code == 302
    assert MilestoneTemplate.objects.get(name="方案提交").days == 4
    assert MilestoneTemplate.objects.get(name="样品寄送").trigger_stage == stages["报价"]
