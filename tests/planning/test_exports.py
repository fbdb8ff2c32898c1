"""The annual plan (年度计划表) exported as .xlsx and CSV: the plan list one row per plan with
each target's plan, actual and progress; one plan as its page lays it out (progress, month by
month, quarterly reviews); only the plans the person may see."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from kehu.planning import queries, services
from tests.downloads import csv_rows, sheet, xlsx_book

from .conftest import TARGETS


def head(metric: str, column: str) -> str:
    """A plan-list header as the export composes it ("新客户数" + "目标")."""
    with translation.override("zh-hans"):
        return gettext("%(metric)s: %(column)s") % {"metric": metric, "column": column}


def unit(label: str, unit: str) -> str:
    with translation.override("zh-hans"):
        return gettext("%(label)s (%(unit)s)") % {"label": label, "unit": unit}


def list_header() -> list[str]:
    revenue, repurchase, churn = unit("销售额", "元"), unit("复购率", "%"), unit("流失率", "%")
    pace = ["目标", "实际", "进度（%）", "状态", "按进度今日应达"]
    return [
        "年度",
        "范围",
        "类型",
        *(head("新客户数", c) for c in pace),
        *(head(revenue, c) for c in pace),
        *(head(repurchase, c) for c in ["目标", "实际", "进度（%）"]),
        *(head(churn, c) for c in ["上限", "实际", "进度（%）"]),
        *(head("平均满意度（CSAT）", c) for c in ["目标", "实际", "进度（%）"]),
    ]


PROGRESS_HEADER = ["指标", "单位", "目标", "实际", "进度（%）", "状态", "按进度今日应达", "口径"]
MONTH_HEADER = ["月份", "销售额（元）", "累计销售额", "目标进度线", "新客户数"]
REVIEW_HEADER = ["季度", "操作人", "记录时间", "复盘记录"]


@pytest.fixture
def year_end(monkeypatch):
    """Progress is measured on 31 December 2026: the whole year has elapsed."""
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 12, 31))


@pytest.fixture
def plans(people):
    """The company's, 华东大区's, 杭州组's, 张伟's and 赵磊's plans for 2026."""
    return {
        "company": services.save_plan(people.director, 2026, TARGETS),
        "east": services.save_plan(people.director, 2026, TARGETS, team=people.east),
        "hangzhou": services.save_plan(people.director, 2026, TARGETS, team=people.hangzhou),
        "rep": services.save_plan(people.director, 2026, TARGETS, user=people.rep),
        "rep2": services.save_plan(
            people.director, 2026, {**TARGETS, "revenue": "0"}, user=people.rep2
        ),
    }


# --- the plan list --------------------------------------------------------------------------
def test_plan_list_export_has_a_row_per_plan_with_each_targets_progress(
    people, sold, plans, year_end, login
):
    rows = sheet(login(people.director).get("/planning/?year=2026&format=xlsx"))
    assert rows[0] == list_header()
    # company first, then the teams, then the reps, as the page shows them
    assert [r[1:3] for r in rows[1:]] == [
        ["全公司", "公司"],
        ["华东大区", "团队"],
        ["杭州组", "团队"],
        ["张伟", "销售"],
        ["赵磊", "销售"],
    ]
    company = rows[1]
    assert company[0] == 2026
    # new customers: 2 of 4 (50%), 4 expected by the year's end, so behind pace
    assert company[3:8] == [4, 2, 50, "进度落后", 4]
    # revenue: 40,000 of 120,000 (33%), the whole target expected by 31 December
    assert company[8:13] == [120000, 40000, 33, "进度落后", 120000]
    # repurchase: one of the two buyers ordered twice, 50% against 40%: reached
    assert company[13:16] == [40, 50, 100]
    assert company[16] == 10  # churn: the target is a ceiling
    assert company[19] == 4.5  # the CSAT target; no answers yet, so no actual
    assert company[20:22] == ["", ""]
    zhao = rows[5]
    assert zhao[8:13] == ["", 10000, "", "", ""]  # no revenue target: "—" on the page


def test_plan_list_export_keeps_the_year(people, sold, plans, login):
    services.save_plan(people.director, 2025, {**TARGETS, "revenue": "90000"})
    client = login(people.director)
    last_year = sheet(client.get("/planning/?year=2025&format=xlsx"))
    assert [(r[0], r[1], r[8]) for r in last_year[1:]] == [(2025, "全公司", 90000)]
    assert len(sheet(client.get("/planning/?year=2026&format=xlsx"))) == 6
    empty = client.get("/planning/?year=2030&format=xlsx")
    assert sheet(empty) == [list_header()]
    assert "2030" in empty["Content-Disposition"]


def test_rep_exports_only_the_plans_the_rep_sees(people, sold, plans, login):
    def scopes(user):
        return [r[1] for r in sheet(login(user).get("/planning/?year=2026&format=xlsx"))[1:]]

    assert scopes(people.rep) == ["全公司", "杭州组", "张伟"]
    assert scopes(people.rep2) == ["全公司", "赵磊"]
    assert scopes(people.manager) == ["全公司", "华东大区", "杭州组", "张伟"]
    assert scopes(people.viewer) == ["全公司", "华东大区", "杭州组", "张伟", "赵磊"]


def test_plan_list_csv_starts_with_the_bom(people, sold, plans, year_end, login):
    rows = csv_rows(login(people.rep).get("/planning/?year=2026&format=csv"))
    assert rows[0] == list_header()
    assert rows[1][:8] == ["2026", "全公司", "公司", "4", "2", "50", "进度落后", "4.00"]


def test_plan_list_export_runs_no_query_per_plan_besides_its_live_figures(
    people, sold, login, monkeypatch
):
    """Each plan's actuals are computed live (queries.progress), on the page as in the export;
    with those set aside, the export's queries do not grow with the number of plans."""
    live = queries.progress(services.save_plan(people.director, 2026, TARGETS))
    monkeypatch.setattr(queries, "progress", lambda plan, today=None: live)
    client = login(people.director)

    def export():
        with CaptureQueriesContext(connection) as captured:
            rows = sheet(client.get("/planning/?year=2026&format=xlsx"))
        return len(rows), len(captured.captured_queries)

    rows, one = export()
    assert rows == 2
    for team in (people.east, people.hangzhou, people.north):
        services.save_plan(people.director, 2026, TARGETS, team=team)
    for user in (people.rep, people.rep2, people.rep3):
        services.save_plan(people.director, 2026, TARGETS, user=user)
    assert export() == (8, one)


# --- one plan -------------------------------------------------------------------------------
def test_plan_export_has_the_pages_three_tables(people, sold, plans, year_end, login):
    plan = plans["rep"]
    services.add_review(people.rep, plan, 1, "一季度签下首单")
    services.add_review(people.manager, plan, 3, "九月复购达成")
    response = login(people.rep).get(f"/planning/{plan.pk}/?format=xlsx")
    workbook = xlsx_book(response)
    assert workbook.sheet_names == ["进度", "按月", "季度复盘"]
    assert "2026" in response["Content-Disposition"]

    progress = workbook.get_sheet_by_index(0).to_python()
    assert progress[0] == PROGRESS_HEADER
    assert [r[:7] for r in progress[1:]] == [
        ["新客户数", "", 4, 1, 25, "进度落后", 4],
        ["销售额", "元", 120000, 30000, 25, "进度落后", 120000],
        ["复购率", "%", 40, 100, 100, "", ""],
        ["流失率 (上限)", "%", 10, "", "", "", ""],
        ["平均满意度（CSAT）", "", 4.5, "", "", "", ""],
    ]
    assert progress[1][7] == "首次下单在本期内的客户。"  # how the actual is computed

    months = workbook.get_sheet_by_index(1).to_python()
    assert months[0] == MONTH_HEADER
    assert [r[0] for r in months[1:]] == list(range(1, 13))
    assert months[3] == [3, 10000, 10000, 30000, 1]  # March: the first order, a new customer
    assert months[9] == [9, 20000, 30000, 90000, 0]  # September: the repeat order
    assert months[12] == [12, 0, 30000, 120000, 0]  # the target line reaches the target

    reviews = workbook.get_sheet_by_index(2).to_python()
    assert reviews[0] == REVIEW_HEADER
    today = timezone.localtime().date()
    assert reviews[1:] == [
        ["Q1", "张伟", today, "一季度签下首单"],
        ["Q3", "李经理", today, "九月复购达成"],
    ]
    assert isinstance(reviews[1][2], date) and not isinstance(reviews[1][2], datetime)


def test_plan_without_revenue_target_leaves_the_target_line_empty(people, sold, plans, login):
    plan = plans["rep2"]
    months = sheet(login(people.rep2).get(f"/planning/{plan.pk}/?format=xlsx"), 1)
    assert months[4] == [4, 10000, 10000, "", 1]
    assert {r[3] for r in months[1:]} == {""}


def test_plan_csv_is_the_progress_table_with_the_bom(people, sold, plans, year_end, login):
    rows = csv_rows(login(people.director).get(f"/planning/{plans['company'].pk}/?format=csv"))
    assert rows[0] == PROGRESS_HEADER
    assert [r[:7] for r in rows[1:3]] == [
        ["新客户数", "", "4", "2", "50", "进度落后", "4.00"],
        ["销售额", "元", "120000.00", "40000.00", "33", "进度落后", "120000.00"],
    ]


def test_rep_cannot_export_another_reps_plan(people, sold, plans, login):
    for fmt in ("xlsx", "csv"):
        url = f"/planning/{plans['rep'].pk}/?format={fmt}"
        assert login(people.rep2).get(url).status_code == 404
        assert login(people.rep3).get(url).status_code == 404
    assert (
        login(people.manager).get(f"/planning/{plans['rep2'].pk}/?format=xlsx").status_code == 404
    )
    assert sheet(login(people.manager).get(f"/planning/{plans['rep'].pk}/?format=xlsx"))


def test_plan_export_queries_do_not_grow_with_the_review_notes(people, sold, plans, login):
    plan = plans["rep"]
    client = login(people.rep)
    services.add_review(people.rep, plan, 1, "第1条")
    with CaptureQueriesContext(connection) as one:
        assert len(sheet(client.get(f"/planning/{plan.pk}/?format=xlsx"), 2)) == 2
    for n in range(2, 6):
        services.add_review(people.manager, plan, n % 4 + 1, f"第{n}条")
    with CaptureQueriesContext(connection) as five:
        assert len(sheet(client.get(f"/planning/{plan.pk}/?format=xlsx"), 2)) == 6
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_pages_offer_the_export_with_their_query(people, plans, login):
    client = login(people.rep)
    page = client.get("/planning/?year=2026").content.decode()
    assert 'href="?year=2026&amp;format=xlsx"' in page
    assert 'href="?year=2026&amp;format=csv"' in page and "导出" in page
    detail = client.get(f"/planning/{plans['rep'].pk}/").content.decode()
    assert 'href="?format=xlsx"' in detail and 'href="?format=csv"' in detail


def test_a_review_posted_from_the_page_is_saved_not_exported(people, plans, login):
    plan = plans["rep"]
    client = login(people.rep)
    response = client.post(f"/planning/{plan.pk}/?format=xlsx", {"quarter": "2", "note": "复盘"})
    assert response.status_code == 302
    assert plan.reviews.get().note == "复盘"
