"""The plans page with its example payouts, and the plan editor (directors only)."""

from decimal import Decimal

from django.urls import reverse

from kehu.incentives.models import CommissionPlan

from .conftest import plan_data


def test_plans_page_shows_the_example_payouts(people, plan, login):
    response = login(people.rep).get(reverse("incentives:plans"))
    assert response.status_code == 200
    [(shown, examples)] = response.context["rows"]
    assert shown == plan
    # 50 / 80 / 100 / 120 / 150% of 100,000 at 0 / 3 / 5 / 5 / 5%
    assert [r.amount for _p, _a, r in examples] == [
        Decimal("0.00"),
        Decimal("2400.00"),
        Decimal("5000.00"),
        Decimal("6000.00"),
        Decimal("7500.00"),
    ]
    body = response.content.decode()
    assert "7,500.00" in body
    assert reverse("incentives:plan-new") not in body  # reps do not edit


def test_director_creates_a_plan_from_the_page(people, login):
    client = login(people.director)
    assert client.get(reverse("incentives:plan-new")).status_code == 200
    form = {
        **plan_data(accelerator="1.2", cap_amount="50000"),
        "team": "",
        "band-1-from": "0",
        "band-1-rate": "0",
        "band-2-from": "80",
        "band-2-rate": "3",
        "band-3-from": "100",
        "band-3-rate": "5",
        "band-4-from": "",
        "band-4-rate": "",
    }
    response = client.post(reverse("incentives:plan-new"), form)
    assert response.status_code == 302
    plan = CommissionPlan.objects.get()
    assert plan.bands.count() == 3 and plan.cap_amount == Decimal("50000")


def test_editor_shows_the_band_problem(people, plan, login):
    client = login(people.director)
    form = {
        **plan_data(),
        "team": "",
        "version": plan.version,
        "band-1-from": "0",
        "band-1-rate": "5",
        "band-2-from": "80",
        "band-2-rate": "3",
    }
    response = client.post(reverse("incentives:plan-edit", args=[plan.pk]), form)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and "2" in errors[0]
    plan.refresh_from_db()
    assert plan.version == 1


def test_reps_and_managers_cannot_open_the_editor(people, plan, login):
    for who in (people.rep, people.manager):
        assert login(who).get(reverse("incentives:plan-new")).status_code == 404
        assert login(who).get(reverse("incentives:plan-edit", args=[plan.pk])).status_code == 404


def test_nav_links_to_commissions(people, login):
    body = login(people.rep).get(reverse("incentives:plans")).content.decode()
    assert f'href="{reverse("incentives:plans")}"' in body
