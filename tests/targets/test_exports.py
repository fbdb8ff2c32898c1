"""The target board and the leaderboard exported as .xlsx and CSV: the rows each page shows for
its metric, period (and team), with targets, actuals, attainment, forecast and gap as real
numbers, and only the targets the actor may see on that page."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.pipeline import services as pipeline
from kehu.pipeline.models import Deal, Stage
from kehu.targets import periods, services
from kehu.targets.models import Target
from tests.downloads import csv_rows, sheet, xlsx_book

WON = Target.Metric.WON_AMOUNT
FIGURES = ["目标", "实际", "达成率（%）", "按时间应达", "预测", "差距", "进度"]
BOARD_HEADER = ["范围", *FIGURES, "已锁定"]
LEADERBOARD_HEADER = ["#", "销售", *FIGURES]
ON_PACE = "进度正常"


def this_quarter():
    return periods.start_of("quarter", timezone.localdate())


def last_quarter():
    return periods.previous("quarter", this_quarter())


def board_url(query=""):
    return reverse("targets:board") + "?" + query


def leaderboard_url(query=""):
    return reverse("targets:leaderboard") + "?" + query


def last_quarter_query(**extra):
    query = f"metric=won_amount&period=quarter&at={periods.key('quarter', last_quarter())}"
    return "&".join([query, *(f"{k}={v}" for k, v in extra.items())])


def won_last_quarter(actor, customer, amount):
    deal = pipeline.create_deal(actor, customer, {"title": "ERP", "amount": str(amount)})
    pipeline.move_stage(actor, deal, Stage.objects.get(kind=Stage.Kind.WON))
    start = last_quarter()
    closed = timezone.make_aware(datetime(start.year, start.month, 5, 10))
    Deal.objects.filter(pk=deal.pk).update(closed_at=closed)
    return deal


@pytest.fixture
def last_quarter_targets(people, book):
    """Last quarter (over, so pace and forecast are settled): the company 500,000; 华东大区
    90,000 split equally (杭州组, 上海组, 李经理 30,000 each) and locked; 张伟 20,000, 陈静
    30,000, 赵磊 10,000. 张伟 won 15,000 and 陈静 6,000."""
    d, start = people.director, last_quarter()
    services.set_target(d, WON, "quarter", start, "500000")
    east = services.set_target(d, WON, "quarter", start, "90000", team=people.east)
    services.decompose(d, east, "scope", Target.Method.EQUAL)
    services.set_locked(d, east, True)
    services.set_target(d, WON, "quarter", start, "20000", user=people.rep)
    services.set_target(d, WON, "quarter", start, "30000", user=people.rep3)
    services.set_target(d, WON, "quarter", start, "10000", user=people.rep2)
    won_last_quarter(people.rep, book["rep"], 15000)
    won_last_quarter(people.rep3, book["rep3"], 6000)
    return start


def settled(target, actual, percent):
    """The figures of a target of a period that is over: expected is the whole target, the
    forecast is the actual, every row with attainment is on pace."""
    return [target, actual, percent, target, actual, max(target - actual, 0), ON_PACE]


# --- the board ---------------------------------------------------------------------------------
def test_board_export_holds_the_board_as_shown_with_real_numbers(
    people, last_quarter_targets, login
):
    client = login(people.director)
    response = client.get(board_url(last_quarter_query(format="xlsx")))
    book = xlsx_book(response)
    label = periods.label("quarter", last_quarter_targets)
    assert book.sheet_names == [f"销售目标 · 赢单金额 · {label}"[:31]]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == BOARD_HEADER
    assert rows[1:] == [
        ["全公司", *settled(500000, 21000, 4.2), ""],
        ["华东大区", *settled(90000, 21000, 23.3), "是"],
        ["杭州组", *settled(30000, 15000, 50.0), "是"],  # locked with 华东大区, its parts
        ["上海组", *settled(30000, 6000, 20.0), "是"],
        ["李经理", *settled(30000, 0, 0.0), "是"],
        ["张伟", *settled(20000, 15000, 75.0), ""],
        ["陈静", *settled(30000, 6000, 20.0), ""],
        ["赵磊", *settled(10000, 0, 0.0), ""],
    ]
    assert all(isinstance(v, int | float) for r in rows[1:] for v in r[1:7])  # number cells
    # the page's rows, in the page's order
    shown = client.get(board_url(last_quarter_query())).context["rows"]
    assert [r[0] for r in rows[1:]] == [a.target.scope_label for a in shown]


def test_board_export_keeps_the_metric_and_period_asked(people, last_quarter_targets, login):
    services.set_target(people.director, WON, "quarter", this_quarter(), "80000")
    month = periods.previous("month", periods.start_of("month", timezone.localdate()))
    services.set_target(people.director, "new_customers", "month", month, "4", user=people.rep)
    Customer.objects.filter(owner=people.rep).update(first_purchase_on=month)
    client = login(people.director)
    # no parameters: this quarter's won amount, as the page opens
    current = sheet(client.get(board_url("format=xlsx")))
    assert [r[:2] for r in current[1:]] == [["全公司", 80000]]
    assert len(sheet(client.get(board_url(last_quarter_query(format="xlsx"))))) == 9
    # new customers of last month: whole customers, as the page shows them
    query = f"metric=new_customers&period=month&at={periods.key('month', month)}&format=xlsx"
    response = client.get(board_url(query))
    assert xlsx_book(response).sheet_names[0].startswith("销售目标 · 新客户数 · ")
    [header, row] = sheet(response)
    assert header == BOARD_HEADER
    assert row == ["张伟", *settled(4, 1, 25.0), ""]


def test_rep_exports_only_the_targets_the_board_shows_them(people, last_quarter_targets, login):
    rep = sheet(login(people.rep).get(board_url(last_quarter_query(format="xlsx"))))
    # the company's, their team's and their own: not 华东大区, 上海组, 李经理, 陈静 or 赵磊
    assert [r[0] for r in rep[1:]] == ["全公司", "杭州组", "张伟"]
    manager = sheet(login(people.manager).get(board_url(last_quarter_query(format="xlsx"))))
    assert "赵磊" not in [r[0] for r in manager[1:]] and "张伟" in [r[0] for r in manager[1:]]
    viewer = sheet(login(people.viewer).get(board_url(last_quarter_query(format="xlsx"))))
    assert len(viewer) == 9  # read-only without a team: everything, like the director


def test_board_csv_starts_with_the_bom(people, last_quarter_targets, login):
    response = login(people.rep).get(board_url(last_quarter_query(format="csv")))
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == BOARD_HEADER
    assert rows[-1] == [
        "张伟",
        "20000.00",
        "15000.00",  # 元 to the cent, as the page shows them
        "75.0",
        "20000.00",
        "15000.00",
        "5000.00",
        ON_PACE,
        "",
    ]


def test_a_target_without_attainment_this_quarter_shows_its_pace_like_the_page(people, login):
    services.set_target(people.director, WON, "quarter", this_quarter(), "0", user=people.rep)
    services.set_target(people.director, WON, "quarter", this_quarter(), "9000", user=people.rep3)
    client = login(people.director)
    shown = {a.target.scope_label: a for a in client.get(board_url()).context["rows"]}
    rows = {r[0]: r for r in sheet(client.get(board_url("format=xlsx")))[1:]}
    assert rows["张伟"][3] == ""  # no attainment of a zero target: no percentage, no pace
    assert rows["张伟"][7] == ""
    chen = shown["陈静"]
    assert rows["陈静"][3] == 0.0
    assert rows["陈静"][4] == float(chen.expected)
    assert rows["陈静"][7] == ("进度落后" if chen.behind else ON_PACE)


# --- the leaderboard ---------------------------------------------------------------------------
def test_leaderboard_export_ranks_the_team_asked(people, last_quarter_targets, login):
    client = login(people.director)
    response = client.get(leaderboard_url(last_quarter_query(team=people.east.pk, format="xlsx")))
    label = periods.label("quarter", last_quarter_targets)
    book = xlsx_book(response)
    assert book.sheet_names == [f"排行榜 · 华东大区 · 赢单金额 · {label}"[:31]]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == LEADERBOARD_HEADER
    assert rows[1:] == [
        [1, "张伟", *settled(20000, 15000, 75.0)],
        [2, "陈静", *settled(30000, 6000, 20.0)],
        [3, "李经理", *settled(30000, 0, 0.0)],
    ]
    north = sheet(
        client.get(leaderboard_url(last_quarter_query(team=people.north.pk, format="xlsx")))
    )
    assert north[1:] == [[1, "赵磊", *settled(10000, 0, 0.0)]]
    csv_north = csv_rows(
        client.get(leaderboard_url(last_quarter_query(team=people.north.pk, format="csv")))
    )
    assert csv_north == [
        LEADERBOARD_HEADER,
        ["1", "赵磊", "10000.00", "0.00", "0.0", "10000.00", "0.00", "10000.00", ON_PACE],
    ]


def test_rep_exports_only_their_own_place_on_the_leaderboard(people, last_quarter_targets, login):
    client = login(people.rep)
    for team in (people.east, people.north, people.hangzhou):  # others' teams: their own
        rows = sheet(client.get(leaderboard_url(last_quarter_query(team=team.pk, format="xlsx"))))
        assert rows[1:] == [[1, "张伟", *settled(20000, 15000, 75.0)]]
    manager = sheet(
        login(people.manager).get(
            leaderboard_url(last_quarter_query(team=people.north.pk, format="xlsx"))
        )
    )
    assert [r[1] for r in manager[1:]] == ["张伟", "陈静", "李经理"]  # north is not theirs


def test_a_leaderboard_without_a_team_exports_an_empty_sheet(people, login):
    nobody = account_services.create_user("loner", "x", name="孤独", role=User.Role.REP)
    rows = sheet(login(nobody).get(leaderboard_url("format=xlsx")))
    assert rows == [LEADERBOARD_HEADER]


# --- both ------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", [board_url, leaderboard_url])
def test_export_queries_do_not_grow_with_the_targets(
    people, page, login, django_assert_max_num_queries
):
    client = login(people.director)
    query = f"team={people.hangzhou.pk}&format=xlsx"

    def add(count):
        for _ in range(count):
            n = User.objects.count()
            rep = account_services.create_user(
                f"rep{n}", "x", name=f"销售{n}", role=User.Role.REP, team=people.hangzhou
            )
            services.set_target(people.director, WON, "quarter", this_quarter(), "1000", user=rep)

    add(1)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get(page(query)))) == 2
    add(9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get(page(query)))) == 11


def test_the_pages_offer_the_export_with_their_query(people, login):
    client = login(people.director)
    board = client.get(board_url("metric=collections&period=month&at=2026-03")).content.decode()
    assert 'href="?metric=collections&amp;period=month&amp;at=2026-03&amp;format=xlsx"' in board
    assert 'href="?metric=collections&amp;period=month&amp;at=2026-03&amp;format=csv"' in board
    leaders = client.get(leaderboard_url(f"team={people.east.pk}")).content.decode()
    assert f'href="?team={people.east.pk}&amp;format=xlsx"' in leaders and "导出" in leaders
