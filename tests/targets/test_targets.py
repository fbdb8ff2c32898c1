"""Targets: set by a director, decomposed company → teams → reps and year → quarters →
months, changed by hand, locked; attainment, pace, forecast and behind-pace alerts live from
the deals and orders."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.access import AccessDenied
from kehu.followups.models import Notification
from kehu.pipeline import services as pipeline
from kehu.pipeline.models import Stage
from kehu.targets import periods, queries, services
from kehu.targets.models import Target, TargetChange

D = Decimal
WON = Target.Metric.WON_AMOUNT


def quarter():
    return periods.start_of("quarter", timezone.localdate())


def won_deal(actor, customer, amount):
    deal = pipeline.create_deal(actor, customer, {"title": "ERP", "amount": str(amount)})
    pipeline.move_stage(actor, deal, Stage.objects.get(kind=Stage.Kind.WON))
    return deal


@pytest.fixture
def east_target(people):
    """A quarter's won-amount target of 90,000 for 华东大区, split equally among its parts:
    杭州组, 上海组 and the manager 李经理 (a member of 华东大区 itself)."""
    target = services.set_target(
        people.director, WON, "quarter", quarter(), "90000", team=people.east
    )
    services.decompose(people.director, target, "scope", Target.Method.EQUAL)
    target.refresh_from_db()
    return target


def test_director_splits_the_company_down_to_reps_and_every_level_adds_up(people):
    company = services.set_target(people.director, WON, "year", date(2026, 1, 1), "1000000")
    (sales,) = services.decompose(people.director, company, "scope", Target.Method.EQUAL)
    assert sales.team == people.sales and sales.amount == D("1000000")
    east, north = services.decompose(people.director, sales, "scope", Target.Method.EQUAL)
    assert (east.team, north.team) == (people.east, people.north)
    parts = services.decompose(people.director, east, "scope", Target.Method.EQUAL)
    assert [p.team or p.user for p in parts] == [people.hangzhou, people.shanghai, people.manager]
    assert [p.amount for p in parts] == [D("166666.67"), D("166666.67"), D("166666.66")]
    quarters = services.decompose(people.director, company, "time", Target.Method.EQUAL)
    assert [q.start.month for q in quarters] == [1, 4, 7, 10]
    assert sum(q.amount for q in quarters) == company.amount
    assert all(q.parent_id == company.pk for q in quarters)


def test_capacity_weights_give_a_ramping_new_hire_less(people, east_target):
    people.manager.capacity = D("0.5")
    people.manager.save()
    parts = services.decompose(people.manager, east_target, "scope", Target.Method.CAPACITY)
    # 杭州组 (张伟 1.0), 上海组 (陈静 1.0), 李经理 0.5
    assert [p.amount for p in parts] == [D("36000.00"), D("36000.00"), D("18000.00")]
    typed = services.decompose(
        people.manager, east_target, "scope", Target.Method.CAPACITY, weights=["3", "1", "0"]
    )
    assert [p.amount for p in typed] == [D("67500.00"), D("22500.00"), D("0.00")]


def test_last_periods_share_follows_last_quarters_wins(people, book):
    last = periods.previous("quarter", quarter())
    won_deal(people.rep, book["rep"], 30000)
    won_deal(people.rep3, book["rep3"], 10000)
    # the wins happened today: move them into last quarter
    from kehu.pipeline.models import Deal

    Deal.objects.update(closed_at=timezone.make_aware(timezone.datetime(last.year, last.month, 5)))
    target = services.set_target(
        people.director, WON, "quarter", quarter(), "100000", team=people.east
    )
    parts = services.decompose(people.director, target, "scope", Target.Method.SHARE)
    assert [p.amount for p in parts] == [D("75000.00"), D("25000.00"), D("0.00")]


def test_manual_split_must_add_up_to_the_parent(people, east_target):
    with pytest.raises(ValidationError) as caught:
        services.decompose(
            people.director, east_target, "scope", "manual", amounts=["50000", "30000", "5000"]
        )
    assert "85000" in str(caught.value) and "90000" in str(caught.value)
    parts = services.decompose(
        people.director, east_target, "scope", "manual", amounts=["50000", "30000", "10000"]
    )
    assert [p.amount for p in parts] == [D(50000), D(30000), D(10000)]


def test_a_part_changed_by_hand_rebalances_its_siblings_or_is_refused(people, east_target):
    hangzhou, shanghai, manager = east_target.children.order_by("id")
    services.set_allocation(people.manager, hangzhou, "50000")
    amounts = [t.amount for t in east_target.children.order_by("id")]
    assert amounts == [D(50000), D(20000), D(20000)]
    with pytest.raises(ValidationError) as caught:
        services.set_allocation(people.manager, shanghai, "90000.01")
    assert "90000" in str(caught.value)
    with pytest.raises(ValidationError):  # without rebalancing it must fit what is left
        services.set_allocation(people.manager, shanghai, "30000", rebalance=False)
    services.set_allocation(people.manager, shanghai, "15000", rebalance=False)
    assert sum(t.amount for t in east_target.children.all()) == D(85000)


def test_locked_targets_change_only_with_a_reason_and_the_change_is_logged(people, east_target):
    services.set_locked(people.director, east_target, True)
    hangzhou = east_target.children.order_by("id").first()
    assert hangzhou.locked is False or Target.objects.get(pk=hangzhou.pk).locked
    with pytest.raises(ValidationError) as caught:
        services.set_allocation(people.manager, hangzhou, "40000")
    assert "reason" in caught.value.message_dict
    services.set_allocation(people.manager, hangzhou, "40000", reason="张伟接手宁波大客户")
    change = TargetChange.objects.filter(target=hangzhou, after=D(40000)).get()
    assert change.while_locked and change.reason == "张伟接手宁波大客户"
    assert change.by == people.manager
    with pytest.raises(ValidationError):
        services.set_locked(people.director, east_target, False)  # unlocking needs a reason too


def test_managers_split_their_own_team_but_not_set_it_and_reps_do_neither(people, east_target):
    with pytest.raises(AccessDenied):
        services.set_target(people.manager, WON, "quarter", quarter(), "1", team=people.east)
    with pytest.raises(AccessDenied):
        services.decompose(people.rep, east_target, "scope", "equal")
    north = services.set_target(people.director, WON, "quarter", quarter(), "1", team=people.north)
    with pytest.raises(AccessDenied):
        services.decompose(people.manager, north, "scope", "equal")
    services.set_target(people.manager, WON, "quarter", quarter(), "5", user=people.rep)


def test_attainment_pace_forecast_and_gap(people, book):
    today = timezone.localdate()
    start = quarter()
    target = services.set_target(people.director, WON, "quarter", start, "100000", user=people.rep)
    won_deal(people.rep, book["rep"], 30000)
    open_deal = pipeline.create_deal(
        people.rep,
        book["rep"],
        {"title": "扩容", "amount": "40000", "expected_close": periods.end("quarter", start)},
    )
    open_deal.refresh_from_db()
    (row,) = queries.attainment([target], WON, "quarter", start, today)
    share = periods.elapsed_share("quarter", start, today)
    assert row.actual == D(30000)
    assert row.percent == D("30.0")
    assert row.expected == (D(100000) * share).quantize(D("0.01"))
    assert row.forecast == D(30000) + D(40000) * open_deal.probability / 100
    assert row.gap == D(70000)
    assert row.behind == (share >= D("0.1") and D(30000) < row.expected)
    # the company and the teams add up their people
    company = services.set_target(people.director, WON, "quarter", start, "500000")
    east = services.set_target(people.director, WON, "quarter", start, "200000", team=people.east)
    rows = queries.attainment([company, east], WON, "quarter", start, today)
    assert [r.actual for r in rows] == [D(30000), D(30000)]


def test_collections_and_new_customers_count_from_orders(people, book):
    from kehu.sales import services as sales

    today = timezone.localdate()
    order = sales.create_order(
        people.rep,
        book["rep"],
        {"order_date": today},
        [{"description": "货品", "quantity": 1, "unit_price": "8000"}],
    )
    sales.record_collection(people.rep, order, "5000", today)
    start = periods.start_of("month", today)
    new = services.set_target(
        people.director, "new_customers", "month", start, "4", user=people.rep
    )
    cash = services.set_target(
        people.director, "collections", "month", start, "10000", user=people.rep
    )
    (n,) = queries.attainment([new], "new_customers", "month", start, today)
    (c,) = queries.attainment([cash], "collections", "month", start, today)
    assert (n.actual, c.actual) == (1, D(5000))
    share = periods.elapsed_share("month", start, today)
    assert c.forecast == (D(5000) / share).quantize(D("0.01"))


def test_behind_pace_tells_the_rep_and_manager_once_a_week(people):
    start = quarter()
    today = start + timedelta(days=45)
    services.set_target(people.director, WON, "quarter", start, "100000", user=people.rep)
    assert services.alert_behind_pace(today) == 1
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {people.rep.pk, people.manager.pk}
    assert services.alert_behind_pace(today + timedelta(days=3)) == 0
    assert services.alert_behind_pace(today + timedelta(days=7)) == 1


def test_board_reads_in_a_few_queries_whatever_the_number_of_reps(
    people, east_target, django_assert_max_num_queries
):
    for rep in (people.rep, people.rep2, people.rep3):
        services.set_target(people.director, WON, "quarter", quarter(), "1000", user=rep)
    with django_assert_max_num_queries(6):
        rows = queries.board(people.director, WON, "quarter", quarter())
    # 华东大区, its parts 杭州组, 上海组 and 李经理, and the three reps
    assert len(rows) == 7
    labels = [r.target.scope_label for r in rows]
    assert labels[0] == "华东大区"


def test_reps_see_their_own_and_their_teams_targets_only(people, east_target, login):
    mine = services.set_target(people.director, WON, "quarter", quarter(), "1000", user=people.rep)
    theirs = services.set_target(
        people.director, WON, "quarter", quarter(), "1000", user=people.rep2
    )
    visible = set(queries.visible_targets(people.rep))
    assert mine in visible and theirs not in visible and east_target not in visible
    client = login(people.rep)
    assert client.get(reverse("targets:target", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("targets:target", args=[mine.pk])).status_code == 200
    response = client.post(reverse("targets:decompose", args=[east_target.pk]), {"method": "equal"})
    assert response.status_code == 404


def test_pages_show_attainment_and_let_a_director_set_and_split(people, login):
    client = login(people.director)
    at = periods.key("quarter", quarter())
    page = client.get(reverse("targets:board") + f"?metric=won_amount&period=quarter&at={at}")
    assert page.status_code == 200
    response = client.post(
        reverse("targets:set") + f"?metric=won_amount&period=quarter&at={at}",
        {
            "metric": "won_amount",
            "period": "quarter",
            "at": at,
            "team": people.east.pk,
            "amount": "90000",
        },
    )
    target = Target.objects.get(team=people.east)
    assert response.url == reverse("targets:target", args=[target.pk])
    client.post(
        reverse("targets:decompose", args=[target.pk]), {"axis": "scope", "method": "equal"}
    )
    assert target.children.count() == 3
    detail = client.get(reverse("targets:target", args=[target.pk]))
    assert detail.status_code == 200 and "杭州组" in detail.content.decode()
    bad = client.post(
        reverse("targets:set"),
        {"metric": "won_amount", "period": "quarter", "at": at, "amount": "lots"},
        follow=True,
    )
    assert "Enter a number." in bad.content.decode() or "请输入" in bad.content.decode()
    board = client.get(
        reverse("targets:leaderboard") + f"?team={people.east.pk}&period=quarter&at={at}"
    )
    assert board.status_code == 200


def test_a_year_split_both_ways_rebalances_each_way_on_its_own(people):
    year = services.set_target(people.director, WON, "year", date(2026, 1, 1), "400000")
    quarters = services.decompose(people.director, year, "time", Target.Method.EQUAL)
    (sales,) = services.decompose(people.director, year, "scope", Target.Method.EQUAL)
    services.set_allocation(people.director, quarters[0], "40000")
    assert [q.amount for q in year.children.filter(period="quarter").order_by("start")] == [
        D(40000),
        D(120000),
        D(120000),
        D(120000),
    ]
    sales.refresh_from_db()
    assert sales.amount == D(400000)


def test_demo_targets_add_up_down_the_tree(people, book):
    from kehu.demodata import targets as demo_targets

    won_deal(people.rep, book["rep"], 50000)
    assert demo_targets.generate(people.director) > 0
    for parent in Target.objects.filter(children__isnull=False).distinct():
        for period in {c.period for c in parent.children.all()}:
            parts = parent.children.filter(period=period)
            assert sum(p.amount for p in parts) == parent.amount, parent
    assert demo_targets.generate(people.director) == 0


def test_a_rep_sees_their_targets_of_the_periods_under_way_on_my_day(people, book, login):
    today = timezone.localdate()
    services.set_target(
        people.director, WON, "month", periods.start_of("month", today), "20000", user=people.rep
    )
    services.set_target(
        people.director, WON, "month", periods.start_of("month", today), "9", user=people.rep2
    )
    won_deal(people.rep, book["rep"], 5000)
    (mine,) = queries.mine(people.rep)
    assert (mine.actual, mine.percent) == (D(5000), D("25.0"))
    page = login(people.rep).get(reverse("followups:today")).content.decode()
    assert 'data-testid="my-targets"' in page and "25.0%" in page


def test_two_directors_setting_the_same_target_from_the_board_the_second_is_refused(people, login):
    at = periods.key("quarter", quarter())
    url = reverse("targets:board") + f"?metric=won_amount&period=quarter&at={at}"
    first, second = login(people.director), login(people.admin)

    def seen(client):  # the board as each of them opened it
        page = client.get(url).content.decode()
        return re.search(r'name="seen" value="([^"]*)"', page)[1]

    def set_east(client, amount, seen_value):
        return client.post(
            reverse("targets:set") + f"?metric=won_amount&period=quarter&at={at}",
            {
                "metric": "won_amount",
                "period": "quarter",
                "at": at,
                "team": people.east.pk,
                "amount": amount,
                "seen": seen_value,
            },
            follow=True,
        )

    both_saw = seen(first), seen(second)  # no target for 华东 yet
    set_east(first, "90000", both_saw[0])
    refused = set_east(second, "150000", both_saw[1]).content.decode()
    assert Target.objects.get(team=people.east).amount == 90000
    assert "Reload" in refused or "重新加载" in refused or "刷新" in refused
    # having seen 90,000, the second may change it
    set_east(second, "150000", seen(second))
    assert Target.objects.get(team=people.east).amount == 150000
