"""The lead assignment pages: rule, reps, preview, assign now, the unassigned list."""

import pytest

from kehu.accounts.models import User
from kehu.assignment.models import AssignmentRule
from kehu.customers.models import Customer

from .conftest import queue


def test_manager_sees_their_teams_rule_reps_and_preview(
    people, login, east_rule, django_assert_max_num_queries
):
    queue(people.east, 30)
    client = login(people.manager)
    with django_assert_max_num_queries(25):
        page = client.get("/assignment/")
    assert page.status_code == 200
    assert page.context["team"] == people.east
    assert {t.pk for t in page.context["teams"]} == {
        people.east.pk,
        people.hangzhou.pk,
        people.shanghai.pk,
    }
    assert [rep.username for rep, *_ in page.context["reps"]] == ["rep", "rep3"]
    assert len(page.context["rows"]) == 30
    assert "Lead assignment" in page.content.decode() or "线索分配" in page.content.decode()


def test_director_picks_any_team(people, login):
    page = login(people.director).get(f"/assignment/?team={people.beijing.pk}")
    assert page.status_code == 200 and page.context["team"] == people.beijing
    assert len(page.context["teams"]) == 6


def test_rule_form_saves_and_switches_on(people, login):
    client = login(people.manager)
    response = client.post(
        f"/assignment/teams/{people.east.pk}/rule/",
        {
            "active": "on",
            "method": "capacity",
            "respect_limit": "on",
            "seniorities_A": ["senior"],
            "max_A": "3",
        },
    )
    assert response.status_code == 302
    rule = AssignmentRule.objects.get(team=people.east)
    assert rule.active and rule.respect_limit
    assert [(t.tier, t.seniorities, t.max_per_rep) for t in rule.tier_rules.all()] == [
        ("A", ["senior"], 3)
    ]
    stale = client.post(
        f"/assignment/teams/{people.east.pk}/rule/",
        {"method": "capacity", "version": str(rule.version - 1)},
    )
    assert stale.status_code == 400 and stale.context["form"].non_field_errors()


def test_manager_edits_a_reps_capacity_and_limit(people, login):
    response = login(people.manager).post(
        f"/assignment/teams/{people.east.pk}/reps/{people.rep3.pk}/",
        {
            f"rep{people.rep3.pk}-seniority": "new",
            f"rep{people.rep3.pk}-capacity": "0.5",
            f"rep{people.rep3.pk}-customer_limit": "20",
        },
    )
    assert response.status_code == 302
    people.rep3.refresh_from_db()
    assert (people.rep3.seniority, str(people.rep3.capacity), people.rep3.customer_limit) == (
        "new",
        "0.50",
        20,
    )
    bad = login(people.manager).post(
        f"/assignment/teams/{people.east.pk}/reps/{people.rep3.pk}/",
        {f"rep{people.rep3.pk}-seniority": "new", f"rep{people.rep3.pk}-capacity": "-2"},
    )
    assert bad.status_code == 400


def test_assign_now_hands_the_leads_out(people, login, east_rule):
    leads = queue(people.east, 4)
    response = login(people.manager).post(f"/assignment/teams/{people.east.pk}/run/")
    assert response.status_code == 302
    assert not Customer.objects.filter(pk__in=[c.pk for c in leads], owner=None).exists()


@pytest.mark.parametrize("who", ["rep", "rep2", "viewer"])
def test_rep_cannot_see_or_change_the_rules_pages(people, login, east_rule, who):
    client = login(getattr(people, who))
    east, rep = people.east.pk, people.rep.pk
    assert client.get("/assignment/").status_code == 404
    assert client.get("/assignment/unassigned/").status_code == 404
    assert client.post(f"/assignment/teams/{east}/rule/", {"active": "on"}).status_code == 404
    assert client.post(f"/assignment/teams/{east}/run/").status_code == 404
    assert client.post(f"/assignment/teams/{east}/reps/{rep}/", {}).status_code == 404
    assert AssignmentRule.objects.get().version == east_rule.version


def test_manager_guessing_another_teams_urls_gets_404(people, login):
    client = login(people.manager)
    beijing = people.beijing.pk
    assert client.get(f"/assignment/?team={beijing}").status_code == 404
    assert client.get("/assignment/?team=abc").status_code == 404
    assert client.post(f"/assignment/teams/{beijing}/rule/", {"active": "on"}).status_code == 404
    assert client.post(f"/assignment/teams/{beijing}/run/").status_code == 404
    assert (
        client.post(f"/assignment/teams/{people.east.pk}/reps/{people.rep2.pk}/", {}).status_code
        == 404
    )
    assert client.post("/assignment/teams/99999/run/").status_code == 404
    assert not AssignmentRule.objects.exists()


def test_nav_shows_lead_assignment_to_managers_only(people, login):
    link = 'href="/assignment/"'
    assert link in login(people.manager).get("/customers/").content.decode()
    assert link in login(people.director).get("/customers/").content.decode()
    assert link not in login(people.rep).get("/customers/").content.decode()


def test_unassigned_list_counts_queries(people, login, django_assert_max_num_queries):
    User.objects.filter(pk__in=[people.rep.pk, people.rep3.pk]).update(customer_limit=0)
    queue(people.east, 40)
    queue(people.hangzhou, 10)
    client = login(people.manager)
    with django_assert_max_num_queries(12):
        page = client.get("/assignment/unassigned/")
    assert page.context["total"] == 50
