"""Lifecycle figures (new customers, revenue, repurchase, churn, lifetime, satisfaction) for a
period and a scope, against values worked out by hand from the `history` fixture (see its
docstring), and who may ask for which scope.

KEHU_CHURN_DAYS is 365 here: a customer is active on a day if it ordered in the 365 days up to
it, churned when it has not."""

from datetime import date
from decimal import Decimal

import pytest
from django.http import Http404

from kehu.sales import lifecycle
from kehu.sales.lifecycle import Scope, scope_for

Y2024 = (date(2024, 1, 1), date(2024, 12, 31))
END_OF_2024 = date(2024, 12, 31)


@pytest.fixture(autouse=True)
def _churn_after_a_year(settings):
    settings.KEHU_CHURN_DAYS = 365
    settings.KEHU_CHURN_MARKED = False


@pytest.fixture
def scopes(people):
    return {
        "company": Scope(),
        "east": Scope(team=people.east),  # 华东大区 with 杭州组 and 上海组
        "north": Scope(team=people.north),
        "rep": Scope(user=people.rep),
    }


def values(scope, start, end, today=END_OF_2024) -> dict:
    return {f.key: f.value for f in lifecycle.figures(scope, start, end, today)}


# --- money ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scope", "revenue", "orders", "margin", "average"),
    [
        # A 1500.50 + 2499.50, C 3000, D 700, E 400 + 600, F 1100; cost CRM 1000 + 实施 300
        ("company", "9800.00", 7, "8500.00", "1400.00"),
        ("east", "8100.00", 4, "6800.00", "2025.00"),  # A, A, C, F
        ("north", "1700.00", 3, "1700.00", "566.67"),  # D, E, E: 1700 / 3
        ("rep", "4000.00", 2, "3000.00", "2000.00"),  # A, A
    ],
)
def test_money_figures_sum_the_orders_of_the_period_credited_to_the_scope(
    history, scopes, scope, revenue, orders, margin, average
):
    money = lifecycle.money_figures(scopes[scope], *Y2024)
    assert money == {
        "revenue": Decimal(revenue),
        "orders": orders,
        "margin": Decimal(margin),
        "average_order": Decimal(average),
    }
    assert all(isinstance(money[k], Decimal) for k in ("revenue", "margin", "average_order"))


# --- customers -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scope", "new", "repurchase"),
    [
        # new: C, E. Bought in 2024: A, C, D, E, F; again: A (twice), D (bought in 2021),
        # E (twice), F (bought in 2023); not C (one order, its first)
        ("company", 2, (5, 4)),
        ("east", 1, (3, 2)),  # C new; A, C, F bought, A and F again
        ("north", 1, (2, 2)),  # E new; D came back after three years, E twice
        ("rep", 0, (1, 1)),  # A only; B bought nothing in 2024
    ],
)
def test_new_customers_and_repurchase_by_scope(history, scopes, scope, new, repurchase):
    assert lifecycle.new_customers(scopes[scope], *Y2024) == new
    assert lifecycle.repurchase(scopes[scope], *Y2024) == repurchase


def test_a_customer_with_one_order_is_new_but_has_not_repurchased(history, people):
    april = (date(2024, 4, 1), date(2024, 4, 30))
    rep3 = Scope(user=people.rep3)  # C's only order is on 4-10
    assert lifecycle.new_customers(rep3, *april) == 1
    assert lifecycle.repurchase(rep3, *april) == (1, 0)
    figures = values(rep3, *april)
    assert figures["repurchase_rate"] == Decimal("0.0")  # a rate of 0, not "no data"
    assert history["C"].purchase_due_on is None


@pytest.mark.parametrize(
    ("scope", "marked", "expected"),
    [
        # active at the start of 2024 (an order in 2023-01-02 … 2023-12-31): A, B, F;
        # churned by its end (no order in 2024-01-02 … 2024-12-31): B; F is marked churned
        ("company", False, (3, 1)),
        ("company", True, (3, 2)),
        ("east", False, (3, 1)),
        ("east", True, (3, 2)),
        ("rep", False, (2, 1)),  # A and B; F is the manager's
        ("rep", True, (2, 1)),
        ("north", True, (0, 0)),  # D had not ordered for two years: not active at the start
    ],
)
def test_churn_counts_the_customers_active_at_the_start_and_gone_by_the_end(
    history, scopes, settings, scope, marked, expected
):
    settings.KEHU_CHURN_MARKED = marked
    assert lifecycle.churn(scopes[scope], *Y2024, today=END_OF_2024) == expected


def test_a_customer_marked_churned_counts_as_churned_only_when_the_setting_says_so(
    history, settings
):
    def churn_rate():
        return next(
            f for f in lifecycle.figures(Scope(), *Y2024, END_OF_2024) if f.key == "churn_rate"
        )

    settings.KEHU_CHURN_MARKED = False
    unmarked = churn_rate()
    assert (unmarked.value, unmarked.parts) == (Decimal("33.3"), {"part": 1, "whole": 3})
    settings.KEHU_CHURN_MARKED = True
    marked = churn_rate()
    assert (marked.value, marked.parts) == (Decimal("66.7"), {"part": 2, "whole": 3})
    assert marked.definition != unmarked.definition  # the definition says which it counts


def test_a_period_not_over_yet_counts_churn_up_to_today(history):
    # on 2024-05-15 B's last order (2023-06-01) is less than a year old: not churned yet
    assert lifecycle.churn(Scope(), *Y2024, today=date(2024, 5, 15)) == (3, 0)
    assert lifecycle.churn(Scope(), *Y2024, today=date(2025, 3, 1)) == (3, 1)


def test_a_churned_customer_who_comes_back_churned_then_repurchased(history, scopes):
    north = scopes["north"]
    # D: active at the start of 2022 (ordered 2021-05-01), nothing in 2022: churned
    assert lifecycle.churn(north, date(2022, 1, 1), date(2022, 12, 31), END_OF_2024) == (1, 1)
    # back in 2024: a repurchase, not a new customer, and not in 2024's churn
    assert history["D"].first_purchase_on == date(2021, 5, 1)
    assert lifecycle.repurchase(north, *Y2024) == (2, 2)
    assert lifecycle.new_customers(north, *Y2024) == 1  # E only
    assert lifecycle.churn(north, *Y2024, today=END_OF_2024) == (0, 0)


def test_churn_in_2023(history):
    # active at the start of 2023 (an order in 2022-01-03 … 2022-12-31): B and H;
    # H has nothing in 2023, B ordered on 2023-06-01
    assert lifecycle.churn(Scope(), date(2023, 1, 1), date(2023, 12, 31), END_OF_2024) == (2, 1)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        # lifetimes over by 2024-12-31 (last order on or before 2024-01-01):
        # B 2022-09-01 … 2023-06-01 = 273 days, H 2022-01-10 … 2022-03-10 = 59 days
        ("company", (166.0, 2)),
        ("east", (166.0, 2)),
        ("rep", (273.0, 1)),
        ("north", (None, 0)),  # D and E ordered in 2024
    ],
)
def test_lifetime_averages_the_customers_whose_lifetime_is_over(history, scopes, scope, expected):
    assert lifecycle.lifetime_days(scopes[scope], today=END_OF_2024) == expected


@pytest.mark.parametrize(
    ("scope", "csat", "nps", "answers"),
    [
        # CSAT A 4, C 2, E 5 → 11 / 3; NPS A 10, C 3, E 9, D 8, F 9: 3 promoters (A, E, F),
        # 1 detractor (C) of 5 → 40; B's CSAT 1 is from 2023
        ("company", "3.67", 40.0, (3, 5, 3, 1)),
        ("east", "3.00", 33.3, (2, 3, 2, 1)),  # A, C, F: (2 − 1) / 3
        ("north", "5.00", 50.0, (1, 2, 1, 0)),  # E 9, D 8 (a passive)
        ("rep", "4.00", 100.0, (1, 1, 1, 0)),
    ],
)
def test_satisfaction_averages_csat_and_nets_promoters_against_detractors(
    history, scopes, scope, csat, nps, answers
):
    sat = lifecycle.satisfaction(scopes[scope], *Y2024)
    assert sat["csat"] == Decimal(csat)
    assert sat["nps"] == nps
    assert (sat["csat_answers"], sat["nps_answers"], sat["promoters"], sat["detractors"]) == answers


def test_all_the_figures_of_the_company_for_2024(history):
    assert values(Scope(), *Y2024) == {
        "new_customers": 2,
        "revenue": Decimal("9800.00"),
        "average_order": Decimal("1400.00"),
        "repurchase_rate": Decimal("80.0"),
        "churn_rate": Decimal("33.3"),
        "lifetime": 166.0,
        "csat": Decimal("3.67"),
        "nps": 40.0,
    }


def test_a_period_without_orders_gives_no_rates_rather_than_errors(history):
    figures = values(Scope(), date(2020, 1, 1), date(2020, 12, 31))
    assert figures == {
        "new_customers": 0,
        "revenue": Decimal("0.00"),
        "average_order": None,
        "repurchase_rate": None,
        "churn_rate": None,
        "lifetime": 166.0,  # not a period figure
        "csat": None,
        "nps": None,
    }


def test_no_data_at_all_gives_no_rates(people):
    assert values(Scope(), *Y2024) == {
        "new_customers": 0,
        "revenue": Decimal("0.00"),
        "average_order": None,
        "repurchase_rate": None,
        "churn_rate": None,
        "lifetime": None,
        "csat": None,
        "nps": None,
    }


# --- who may see which scope ---------------------------------------------------------------
def test_a_rep_sees_their_own_figures_and_nobody_elses(people):
    assert scope_for(people.rep) == Scope(user=people.rep)
    assert scope_for(people.rep, user=people.rep) == Scope(user=people.rep)
    for asked in ({"user": people.rep2}, {"user": people.rep3}, {"team": people.hangzhou}):
        with pytest.raises(Http404):
            scope_for(people.rep, **asked)


def test_a_manager_sees_their_subtree_and_its_people(people):
    assert scope_for(people.manager) == Scope(team=people.east)
    assert scope_for(people.manager, team=people.shanghai) == Scope(team=people.shanghai)
    assert scope_for(people.manager, user=people.rep) == Scope(user=people.rep)
    assert scope_for(people.manager, user=people.manager) == Scope(user=people.manager)
    for asked in ({"team": people.north}, {"team": people.sales}, {"user": people.rep2}):
        with pytest.raises(Http404):
            scope_for(people.manager, **asked)


def test_a_director_sees_any_scope(people):
    assert scope_for(people.director) == Scope()
    assert scope_for(people.director, team=people.north) == Scope(team=people.north)
    assert scope_for(people.director, user=people.rep2) == Scope(user=people.rep2)


def test_a_viewer_without_a_team_sees_the_company(people):
    assert scope_for(people.viewer) == Scope()
    assert scope_for(people.viewer, team=people.east) == Scope(team=people.east)
