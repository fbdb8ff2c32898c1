"""The demo's lead assignment: reps weighed, 华东大区's rule on, a few new leads waiting."""

from kehu.assignment import services
from kehu.assignment.models import AssignmentRule
from kehu.demodata import assignment as demo_assignment


def test_demo_rule_previews_leads_by_capacity_with_one_a_lead_left_over(people):
    made = demo_assignment.generate(people.director)
    assert made == {"rules": 1, "leads": 7}
    people.rep.refresh_from_db()
    people.rep3.refresh_from_db()
    assert (people.rep.seniority, str(people.rep.capacity)) == ("senior", "1.50")
    assert (people.rep3.seniority, str(people.rep3.capacity)) == ("new", "0.50")
    rule = AssignmentRule.objects.get()
    assert rule.active and rule.team == people.east
    plan = services.preview(people.manager, people.east)
    assert len(plan.rows) == 7
    assert [r.customer["tier"] for r in plan.unassigned] == ["A"]
    assert plan.counts[people.rep.pk] > plan.counts[people.rep3.pk]
    # run again: nothing doubles
    assert demo_assignment.generate(people.director)["leads"] == 0
    assert len(services.preview(people.manager, people.east).rows) == 7
