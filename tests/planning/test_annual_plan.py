"""The annual plan (年度目标): targets per year for the company, a team or a rep, actuals
computed live from the orders, quarterly review notes kept with it."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.accounts.access import AccessDenied
from kehu.planning import queries, services
from kehu.planning.models import AnnualPlan
from kehu.sales import services as sales

from .conftest import TARGETS


def test_director_sets_company_and_team_plans_and_sees_live_actuals(people, sold):
    company = services.save_plan(people.director, 2026, TARGETS)
    progress = {p.key: p for p in queries.progress(company, today=date(2026, 12, 31))}
    assert progress["revenue"].actual == Decimal("40000.00")
    assert progress["revenue"].percent == 33  # 40,000 of 120,000
    assert progress["revenue"].on_track is False
    assert progress["new_customers"].actual == 2 and progress["new_customers"].percent == 50
    # two buyers, one of whom ordered twice
    assert progress["repurchase_rate"].actual == Decimal("50.0")
    assert progress["repurchase_rate"].on_track is True
    assert progress["churn_rate"].lower_is_better and progress["churn_rate"].actual is None
    team = services.save_plan(people.director, 2026, TARGETS, team=people.east)
    east = {p.key: p for p in queries.progress(team, today=date(2026, 12, 31))}
    assert east["revenue"].actual == Decimal("30000.00")  # 赵磊 is in 华北, not 华东


def test_pace_is_pro_rata_of_the_year_elapsed(people, sold):
    plan = services.save_plan(people.director, 2026, {**TARGETS, "revenue": "60000"})
    mid = {p.key: p for p in queries.progress(plan, today=date(2026, 7, 2))}
    # 2 July is day 183 of 365: expected 60,000 × 183/365 = 30,082.19; actual so far 20,000
    assert mid["revenue"].expected == Decimal("30082.19")
    assert mid["revenue"].actual == Decimal("20000.00") and mid["revenue"].on_track is False


def test_managers_plan_their_subtree_and_reps_only_read(people, sold):
    services.save_plan(people.manager, 2026, TARGETS, team=people.hangzhou)
    services.save_plan(people.manager, 2026, TARGETS, user=people.rep)
    with pytest.raises(AccessDenied):
        services.save_plan(people.manager, 2026, TARGETS, team=people.beijing)
    with pytest.raises(AccessDenied):
        services.save_plan(people.rep, 2026, TARGETS, user=people.rep)
    with pytest.raises(AccessDenied):
        services.save_plan(people.manager, 2026, TARGETS)  # the company's is the director's
    seen = set(queries.visible_plans(people.rep2, 2026))
    assert not seen  # nothing of 华东 for 赵磊


def test_bad_targets_name_the_field_and_stale_forms_are_refused(people):
    with pytest.raises(ValidationError) as bad:
        services.save_plan(
            people.director, 2026, {**TARGETS, "churn_rate": "120", "new_customers": "2.5"}
        )
    assert set(bad.value.message_dict) == {"churn_rate", "new_customers"}
    plan = services.save_plan(people.director, 2026, TARGETS)
    services.save_plan(people.director, 2026, TARGETS, version=plan.version)
    with pytest.raises(ValidationError):
        services.save_plan(people.director, 2026, TARGETS, version=plan.version)
    assert AnnualPlan.objects.count() == 1


def test_plan_pages_progress_chart_and_quarterly_review(people, sold, login):
    client = login(people.director)
    response = client.post(reverse("planning:edit") + f"?year=2026&user={people.rep.pk}", TARGETS)
    plan = AnnualPlan.objects.get(user=people.rep)
    assert response.url == reverse("planning:plan", args=[plan.pk])
    rep = login(people.rep)
    page = rep.get(reverse("planning:plan", args=[plan.pk]))
    assert page.status_code == 200
    revenue = {p.key: p for p in page.context["progress"]}["revenue"]
    assert revenue.actual == Decimal("30000.00")
    series = {s["id"]: s["data"] for s in page.context["chart"]["series"]}
    assert sum(series["revenue"]) == 30000.0 and len(series["revenue"]) == 12
    rep.post(reverse("planning:plan", args=[plan.pk]), {"quarter": "3", "note": "九月复购达成"})
    assert plan.reviews.get().note == "九月复购达成"
    assert login(people.rep2).get(reverse("planning:plan", args=[plan.pk])).status_code == 404
    assert rep.get(reverse("planning:edit") + f"?year=2026&user={people.rep.pk}").status_code == 404
    listing = login(people.manager).get(reverse("planning:plans") + "?year=2026")
    assert [p.pk for p, _progress in listing.context["rows"]] == [plan.pk]


def test_demo_plans_raise_last_years_actuals_and_are_made_once(people, book, monkeypatch):
    from kehu.demodata import planning as demo_planning

    erp = sales.save_product(people.director, {"name": "ERP", "unit_price": "10000"})
    for day in (date(2025, 2, 1), date(2025, 8, 1)):
        sales.create_order(
            people.rep, book["rep"], {"order_date": day}, [{"product": erp.pk, "quantity": 1}]
        )
    monkeypatch.setattr(demo_planning.timezone, "localdate", lambda: date(2026, 7, 15))

    made = demo_planning.generate(people.director)

    company = AnnualPlan.objects.get(year=2026, team=None, user=None)
    # last year: 20,000 from one new customer; × 1.15 = 23,000, to whole 10,000s; 1 × 1.1 → 1
    assert (company.revenue, company.new_customers) == (Decimal("20000.00"), 1)
    assert company.repurchase_rate == Decimal("100.0")  # last year 100% (+3, capped)
    assert [r.quarter for r in company.reviews.all()] == [1, 2]
    assert AnnualPlan.objects.filter(year=2026, user=people.rep).exists()
    assert AnnualPlan.objects.filter(year=2026, team=people.rep.team).exists()
    assert made == AnnualPlan.objects.count()
    assert demo_planning.generate(people.director) == 0
