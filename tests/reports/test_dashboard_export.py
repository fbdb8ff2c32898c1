"""The dashboard exported: its KPI tiles as a (figure, value) sheet and a sheet per chart,
with the page's numbers, for the period asked and the role's own scope; every bar of the
charts that show only the first ones; a bounded number of queries."""

import csv
import io
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.followups.models import FollowUp
from kehu.reports import dashboard
from kehu.targets import periods
from kehu.targets.models import Target
from tests.downloads import xlsx_sheets

DASHBOARD = reverse("reports:dashboard")
SHEETS = [
    "关键指标",
    "分级分布",
    "各阶段进行中的商机",
    "本期商机漏斗",
    "各渠道转化",
    "达成率",
    "复购与流失",
    "每月满意度",
    "有逾期跟进的客户（按负责人）",
]


def kpis(sheet: list[list]) -> list:
    """The tiles' values, after the header and the scope and period lines."""
    return [value for _figure, value in sheet[3:]]


def tile_values(response) -> list:
    return [None if c["value"] is None else float(c["value"]) for c in response.context["cards"]]


def blank_as_none(values: list) -> list:
    return [None if v == "" else v for v in values]


def test_rep_exports_their_own_dashboard_figures(people, world, login):
    client = login(people.rep)
    page = client.get(DASHBOARD, {"period": "year"})
    sheets = xlsx_sheets(client.get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert list(sheets) == SHEETS
    figures = sheets["关键指标"]
    assert figures[0][0] == "指标"
    assert figures[1] == ["范围", "我的业务"]
    # every tile in the page's order, then My day's counts (a rep's page shows them)
    tiles = tile_values(page)
    assert blank_as_none(kpis(figures)[: len(tiles)]) == tiles
    assert figures[3 + 3][1] == 350.0  # revenue: 100 + 250
    assert [row[1] for row in figures[-3:]] == [1.0, 0.0, 1.0]
    assert sheets["分级分布"] == [["分级", "客户"], ["A", 1.0]]
    assert sheets["有逾期跟进的客户（按负责人）"][1:] == [["张伟", 1.0]]
    assert sheets["各阶段进行中的商机"][0] == ["销售阶段", "商机", "金额（元）"]
    assert ["初步接触", 1.0, 5000.0] in sheets["各阶段进行中的商机"]
    # the shared customer is visible to 张伟 but not part of his book
    cells = [str(cell) for rows in sheets.values() for row in rows for cell in row]
    assert not any("赵磊" in cell or "陈静" in cell for cell in cells)


def test_manager_exports_their_subtree(people, world, login):
    sheets = xlsx_sheets(login(people.manager).get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert sheets["关键指标"][1] == ["范围", "华东大区"]
    assert sheets["分级分布"][1:] == [["A", 1.0], ["B", 1.0], ["C", 1.0]]
    assert sorted(sheets["有逾期跟进的客户（按负责人）"][1:]) == [["张伟", 1.0], ["陈静", 1.0]]
    assert sheets["关键指标"][3 + 3][1] == 750.0  # 张伟 350 + 陈静 400


def test_director_exports_the_company_with_channels_and_retention(people, world, login):
    client = login(people.director)
    page = client.get(DASHBOARD, {"period": "year"})
    sheets = xlsx_sheets(client.get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert blank_as_none(kpis(sheets["关键指标"])) == tile_values(page)  # no My day
    assert sum(n for _tier, n in sheets["分级分布"][1:]) == 6
    assert ["未分级", 1.0] in sheets["分级分布"]
    # 展会: 张伟's won deal and 赵磊's open one; 50% of them won
    assert ["展会", 2.0, 1.0, 50.0] in sheets["各渠道转化"]
    assert sheets["本期商机漏斗"][1] == ["初步接触", 4.0]
    year = periods.start_of("year", timezone.localdate())
    [header, before, now] = sheets["复购与流失"]
    assert header[0] == "周期"
    assert (before[0], now[0]) == (
        periods.label("year", periods.previous("year", year)),
        periods.label("year", year),
    )
    assert now[1] == float(page.context["current"]["repurchase_rate"])
    assert len(sheets["每月满意度"]) == 1 + dashboard.TREND_MONTHS


def test_the_export_is_for_the_period_asked(people, world, login):
    client = login(people.director)
    today = timezone.localdate()
    for kind in ("month", "quarter", "year"):
        sheets = xlsx_sheets(client.get(DASHBOARD, {"period": kind, "format": "xlsx"}))
        start = periods.start_of(kind, today)
        label = f"{periods.label(kind, start)} ({start} – {periods.end(kind, start)})"
        assert sheets["关键指标"][2] == ["周期", label]


def test_the_month_is_the_default_as_on_the_page(people, world, login):
    sheets = xlsx_sheets(login(people.director).get(DASHBOARD, {"format": "xlsx"}))
    month = periods.start_of("month", timezone.localdate())
    assert sheets["关键指标"][2][1].startswith(periods.label("month", month))


def test_attainment_sheet_has_the_targets_of_the_scope(people, world, login):
    year = periods.start_of("year", timezone.localdate())
    Target.objects.create(
        metric="won_amount", period="year", start=year, user=people.rep, amount=Decimal(200000)
    )
    Target.objects.create(
        metric="won_amount", period="year", start=year, user=people.rep3, amount=Decimal(1)
    )
    sheets = xlsx_sheets(login(people.rep).get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert sheets["达成率"] == [
        ["范围", "指标", "目标", "实际", "达成率（%）"],
        ["张伟", "赢单金额", 200000.0, 120000.0, 60.0],
    ]


def test_the_export_has_every_bar_of_the_capped_charts(people, world, login, monkeypatch):
    monkeypatch.setattr(dashboard, "TOP_OWNERS", 2)
    monkeypatch.setattr(dashboard, "ATTAINMENT_BARS", 1)
    year = periods.start_of("year", timezone.localdate())
    for metric, amount in (("won_amount", 100000), ("new_customers", 4)):
        Target.objects.create(
            metric=metric, period="year", start=year, user=people.rep, amount=Decimal(amount)
        )
    client = login(people.director)
    page = client.get(DASHBOARD, {"period": "year"})
    assert len(page.context["charts"]["overdue"]["series"][0]["data"]) == 2
    sheets = xlsx_sheets(client.get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert sorted(r[0] for r in sheets["有逾期跟进的客户（按负责人）"][1:]) == sorted(
        ["张伟", "陈静", "赵磊"]
    )
    rep = login(people.rep)
    chart = rep.get(DASHBOARD, {"period": "year"}).context["charts"]["attainment"]
    assert len(chart["series"][0]["data"]) == 1
    rows = xlsx_sheets(rep.get(DASHBOARD, {"period": "year", "format": "xlsx"}))["达成率"][1:]
    assert [(r[1], r[4]) for r in rows] == [("赢单金额", 120.0), ("新客户数", 25.0)]


def test_dashboard_csv_is_the_kpi_sheet_with_a_bom(people, world, login):
    client = login(people.manager)
    response = client.get(DASHBOARD, {"period": "year", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    body = response.getvalue()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = xlsx_sheets(client.get(DASHBOARD, {"period": "year", "format": "xlsx"}))["关键指标"]
    assert [r[0] for r in rows] == [r[0] for r in sheet]
    assert rows[1] == ["范围", "华东大区"]
    assert Decimal(rows[3 + 3][1]) == Decimal("750.00")


def test_dashboard_page_offers_the_export_with_its_period(people, login):
    body = login(people.manager).get(DASHBOARD, {"period": "quarter"}).content.decode()
    assert "?period=quarter&amp;format=xlsx" in body
    assert "?period=quarter&amp;format=csv" in body


def export_queries(client) -> int:
    dashboard.cache.clear()  # the figures computed again, as on a first look
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(DASHBOARD, {"period": "year", "format": "xlsx"})
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_export_queries_do_not_grow_with_owners_or_customers(
    people, world, book, login, monkeypatch
):
    monkeypatch.setattr(dashboard, "TOP_OWNERS", 1)  # the full re-read runs as well
    client = login(people.director)
    few = export_queries(client)
    today = timezone.localdate()
    for n in range(5):
        rep = account_services.create_user(
            f"bj{n}", "x", name=f"北京{n}", role=User.Role.REP, team=people.beijing
        )
        customer = people.customer(rep, f"北京客户{n}有限公司", tier="B")
        FollowUp.objects.create(
            customer=customer, owner=rep, due_on=date(today.year, 1, 1), method="phone"
        )
        Customer.objects.filter(pk=customer.pk).update(
            next_followup_at=timezone.now().replace(year=today.year - 1)
        )
    sheets = xlsx_sheets(client.get(DASHBOARD, {"period": "year", "format": "xlsx"}))
    assert len(sheets["有逾期跟进的客户（按负责人）"]) == 1 + 3 + 5
    more = export_queries(client)
    assert more <= few
