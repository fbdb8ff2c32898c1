"""The home dashboard: its numbers are the numbers of the lists it links to, for each role's
scope; bounded queries; cached figures."""

from decimal import Decimal

import pytest
from django.urls import reverse

DASHBOARD = reverse("reports:dashboard")


def points(response, chart: str) -> list[dict]:
    return [p for s in response.context["charts"][chart]["series"] for p in s["data"]]


def card(response, key: str) -> dict:
    return next(c for c in response.context["cards"] if c["key"] == key)


def list_count(client, url: str) -> int:
    """How many rows the list behind a link shows, read the way each list counts them."""
    response = client.get(url)
    assert response.status_code == 200, url
    ctx = response.context
    if "page" in ctx:  # the customer list: its exact count
        return ctx["page"].total
    if "deals" in ctx:
        return len(ctx["deals"])
    return len(ctx["rows"])  # the interaction log and the follow-up plan


@pytest.mark.parametrize("who", ["director", "manager", "rep", "rep3", "viewer"])
def test_dashboard_numbers_equal_the_lists_they_link_to(people, world, login, who):
    client = login(getattr(people, who))
    response = client.get(DASHBOARD + "?period=year")
    assert response.status_code == 200
    checked = 0
    for chart in ("tiers", "stages", "overdue"):
        for point in points(response, chart):
            if chart == "tiers" and "tier=" not in point["url"]:
                continue  # customers without a tier: the list has no filter for them
            assert list_count(client, point["url"]) == point["value"], (chart, point)
            checked += 1
    for key in ("interactions", "overdue_followups"):
        c = card(response, key)
        assert list_count(client, c["url"]) == c["value"], key
    assert checked > 0 or who == "viewer"


@pytest.mark.parametrize("who", ["director", "rep"])
def test_revenue_equals_the_order_list_it_links_to(people, world, login, who):
    client = login(getattr(people, who))
    revenue = card(client.get(DASHBOARD + "?period=year"), "revenue")
    orders = client.get(revenue["url"]).context["orders"]
    assert sum((o.amount for o in orders), Decimal(0)) == revenue["value"]


def test_a_rep_sees_only_their_own_numbers(people, world, login):
    response = login(people.rep).get(DASHBOARD + "?period=year")
    assert response.context["scope"].level == "me"
    assert {p["name"]: p["value"] for p in points(response, "tiers")} == {"A": 1}
    assert card(response, "revenue")["value"] == Decimal("350.00")
    assert card(response, "won_amount")["value"] == Decimal("120000.00")
    assert card(response, "deals_won")["value"] == 1
    assert card(response, "interactions")["value"] == 2
    assert card(response, "overdue_followups")["value"] == 1
    assert [p["value"] for p in points(response, "overdue")] == [1]
    assert response.context["my_day"]["overdue"] == 1
    # the shared customer is visible to 张伟 but not part of his book
    assert "赵磊" not in response.content.decode()


def test_a_manager_sees_their_subtree(people, world, login):
    response = login(people.manager).get(DASHBOARD + "?period=year")
    assert response.context["scope"].level == "team"
    assert {p["name"]: p["value"] for p in points(response, "tiers")} == {"A": 1, "B": 1, "C": 1}
    assert card(response, "revenue")["value"] == Decimal("750.00")  # 张伟 350 + 陈静 400
    overdue = {p["value"] for p in points(response, "overdue")}
    assert overdue == {1}  # 张伟's customer and 陈静's (two follow-ups, one customer)
    assert card(response, "overdue_followups")["value"] == 3
    assert response.context["my_day"] is None


def test_the_director_sees_the_company(people, world, login):
    response = login(people.director).get(DASHBOARD + "?period=year")
    assert response.context["scope"].level == "company"
    assert card(response, "revenue")["value"] == world["revenue"]
    assert sum(p["value"] for p in points(response, "tiers")) == 6
    stages = {p["value"] for p in points(response, "stages")}
    assert sum(stages) >= 1
    funnel = response.context["charts"]["funnel"]["series"][0]["data"]
    assert funnel[0]["value"] == 4  # every deal of the period reached the first stage


def test_the_period_before_is_kept_in_the_cache(people, world, login):
    from datetime import timedelta

    from tests.sales.conftest import buy

    response = login(people.director).get(DASHBOARD + "?period=month")
    assert card(response, "revenue")["change"] is None  # nothing the month before
    # an order the month before: 1750 now against 500 then is +250%
    start = response.context["period"].start
    buy(people.rep, world_customer(people), start - timedelta(days=1), "500.00")
    response = login(people.director).get(DASHBOARD + "?period=month")
    assert card(response, "revenue")["change"] is None  # the month before is still cached


def world_customer(people):
    from kehu.customers.models import Customer

    return Customer.objects.filter(owner=people.rep).first()


def test_the_change_is_against_the_period_before(people, world, login):
    from datetime import timedelta

    from tests.sales.conftest import buy

    start = login(people.director).get(DASHBOARD + "?period=month").context["period"].start
    from django.core.cache import cache

    cache.clear()
    buy(people.rep, world_customer(people), start - timedelta(days=1), "500.00")
    response = login(people.director).get(DASHBOARD + "?period=month")
    revenue = card(response, "revenue")
    assert revenue["previous"] == Decimal("500.00")
    assert revenue["change"] == Decimal("250.0")


def test_figures_are_cached_and_say_when(people, world, login, django_assert_max_num_queries):
    client = login(people.director)
    client.get(DASHBOARD)
    with django_assert_max_num_queries(8):  # session, user, the rest from the cache
        response = client.get(DASHBOARD)
    assert "Figures as of" in response.content.decode() or "截至" in response.content.decode()


@pytest.mark.parametrize("who", ["director", "manager", "rep"])
def test_dashboard_queries_are_bounded(people, world, login, who, django_assert_max_num_queries):
    client = login(getattr(people, who))
    with django_assert_max_num_queries(100):
        assert client.get(DASHBOARD + "?period=quarter").status_code == 200


def test_home_is_the_dashboard_for_managers_and_up_and_my_day_for_reps(people, login):
    assert login(people.rep).get("/")["Location"] == reverse("followups:today")
    for who in ("manager", "director", "admin", "viewer"):
        assert login(getattr(people, who)).get("/")["Location"] == DASHBOARD


def test_an_unknown_period_falls_back_to_the_month(people, login):
    response = login(people.rep).get(DASHBOARD + "?period=decade")
    assert response.status_code == 200 and response.context["kind"] == "month"


def test_stale_figures_are_shown_and_recomputed_by_the_worker(people, world, login, settings):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from kehu.reports import dashboard
    from tests.sales.conftest import buy

    client = login(people.director)
    first = client.get(DASHBOARD + "?period=month").context["as_of"]
    buy(people.rep, world_customer(people), timezone.localdate(), "700.00")
    # within KEHU_DASHBOARD_CACHE_SECONDS: the same figures, not recomputed
    assert client.get(DASHBOARD + "?period=month").context["as_of"] == first
    # later: the stale figures are shown once more while the worker (immediate in tests)
    # computes fresh ones, which the next look shows
    settings.KEHU_DASHBOARD_CACHE_SECONDS = 0
    stale = client.get(DASHBOARD + "?period=month")
    assert stale.context["as_of"] == first
    fresh = client.get(DASHBOARD + "?period=month")
    assert fresh.context["as_of"] > first
    assert card(fresh, "revenue")["value"] == card(stale, "revenue")["value"] + Decimal("700.00")
    # and the nightly job warms the company's figures of every period kind
    cache.clear()
    assert dashboard.warm(people.director) == 3
    assert timezone.now() - client.get(DASHBOARD).context["as_of"] < timedelta(minutes=1)


def test_the_nightly_job_warms_the_company_and_each_managers_dashboard(people, world, login):
    from django.core.cache import cache

    from kehu.reports.tasks import warm

    cache.clear()
    result = warm.enqueue()
    assert result.return_value == {"periods": 6}  # the company's three, 华东大区's three
    from django.utils import timezone

    warmed = timezone.now()
    for who in (people.director, people.manager):  # computed before they looked
        assert login(who).get(DASHBOARD + "?period=quarter").context["as_of"] < warmed
