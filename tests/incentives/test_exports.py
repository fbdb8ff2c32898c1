"""The plans page, the period review and the payout report exported as .xlsx and CSV: what
the page shows, for the page's query (plan, person, period), from what the actor may see, as
real numbers, in a handful of queries whatever the count."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.followups.models import Interaction
from kehu.incentives import services
from kehu.targets import periods
from tests.downloads import csv_rows, xlsx_sheets

from .conftest import TIERED, plan_data, set_target, win

PLANS = reverse("incentives:plans")
REVIEW = reverse("incentives:review")
PAYOUT = reverse("incentives:payout")
PLAN_HEADER = [
    "名称",
    "启用",
    "指标",
    "周期",
    "团队",
    "计提方式",
    "超 100% 加速系数",
    "提成封顶（元）",
    "达成率计算上限（%）",
    "阶梯档位",
    "版本",
]


def examples_sheet() -> str:
    with translation.override("zh-hans"):
        return _("Examples")


def export_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        assert response.status_code == 200
        response.content  # noqa: B018 - a streamed CSV runs its queries as it is read
    return len(ctx.captured_queries)


# --- the plans page -------------------------------------------------------------------------
def test_plans_export_holds_each_plan_its_bands_and_example_payouts(people, plan, login):
    capped = services.save_plan(
        people.director,
        plan_data(name="封顶方案", cap_amount="5000", cap_percent="150", accelerator="1.5"),
        TIERED,
    )
    workbook = xlsx_sheets(login(people.director).get(PLANS, {"format": "xlsx"}))
    assert list(workbook) == ["提成方案", "阶梯档位", examples_sheet()]
    plans = workbook["提成方案"]
    assert plans[0] == PLAN_HEADER
    # the page's order: active plans by name
    assert [row[0] for row in plans[1:]] == sorted([plan.name, capped.name])
    row = next(r for r in plans[1:] if r[0] == "封顶方案")
    assert row == [
        "封顶方案",
        "是",
        "赢单金额",
        "季度",
        "所有人",
        str(capped.get_mode_display()),
        1.5,
        5000.0,
        150.0,
        "≥ 0.0%: 0.00%; ≥ 80.0%: 3.00%; ≥ 100.0%: 5.00%",
        capped.version,
    ]
    bands = workbook["阶梯档位"]
    assert bands[0] == ["名称", "档位", "起始达成率（%）", "提成比例（%）"]
    assert [r[1:] for r in bands[1:] if r[0] == plan.name] == [
        [1.0, 0.0, 0.0],
        [2.0, 80.0, 3.0],
        [3.0, 100.0, 5.0],
    ]
    examples = [r for r in workbook[examples_sheet()][1:] if r[0] == plan.name]
    # the page's examples: 50 / 80 / 100 / 120 / 150% of a 100,000 target
    assert [(r[1], r[2], r[3], r[6]) for r in examples] == [
        (100000.0, 50.0, 50000.0, 0.0),
        (100000.0, 80.0, 80000.0, 2400.0),
        (100000.0, 100.0, 100000.0, 5000.0),
        (100000.0, 120.0, 120000.0, 6000.0),
        (100000.0, 150.0, 150000.0, 7500.0),
    ]
    # 150% at 5% × 1.5 is 11,250: capped at 5,000, as the page's badge says
    capped_top = [r for r in workbook[examples_sheet()][1:] if r[0] == "封顶方案"][-1]
    assert (capped_top[6], capped_top[7]) == (5000.0, "提成已封顶")


def test_rep_exports_only_the_plans_that_apply_to_them(people, plan, login):
    services.save_plan(people.director, plan_data(name="华北方案", team=people.north), TIERED)
    services.save_plan(people.director, plan_data(name="杭州方案", team=people.hangzhou), TIERED)
    rows = xlsx_sheets(login(people.rep).get(PLANS, {"format": "xlsx"}))["提成方案"]
    assert sorted(r[0] for r in rows[1:]) == ["杭州方案", "销售提成方案"]
    hangzhou = next(r for r in rows[1:] if r[0] == "杭州方案")
    assert hangzhou[4] == "杭州组"


def test_plans_csv_is_the_plans_sheet_with_a_bom(people, plan, login):
    services.save_plan(people.director, plan_data(name="旧方案", active=False), TIERED)
    rows = csv_rows(login(people.manager).get(PLANS, {"format": "csv"}))
    assert rows[0] == PLAN_HEADER
    assert [(r[0], r[1]) for r in rows[1:]] == [("销售提成方案", "是"), ("旧方案", "否")]


def test_plans_page_offers_the_export(people, plan, login):
    body = login(people.rep).get(PLANS).content.decode()
    assert 'data-testid="export-xlsx"' in body and "?format=csv" in body


def test_plans_export_queries_do_not_grow_with_the_plans(people, plan, login):
    client = login(people.director)
    one = export_queries(client, PLANS, {"format": "xlsx"})
    for n in range(5):
        services.save_plan(people.director, plan_data(name=f"方案{n}"), TIERED)
    more = export_queries(client, PLANS, {"format": "xlsx"})
    assert more <= one


# --- the period review ----------------------------------------------------------------------
def review_query(person, quarter, **more):
    return {
        "user": person.pk,
        "kind": "quarter",
        "period": periods.key("quarter", quarter),
        **more,
    }


def test_rep_exports_their_review_beside_the_team_average(people, quarter, activity, login):
    workbook = xlsx_sheets(
        login(people.rep).get(REVIEW, review_query(people.rep, quarter, format="xlsx"))
    )
    assert list(workbook) == ["达成率", "按跟进方式统计", "商机与跟进"]
    [header, won] = workbook["达成率"]
    assert header[:6] == [
        "指标",
        "目标",
        "实际",
        "达成率（%）",
        "团队人均目标",
        "团队人均实际",
    ]
    # 张伟 90,000 of 100,000; 杭州组 per person 75,000 / 55,000, together 110 of 150
    assert won == ["赢单金额", 100000.0, 90000.0, 90.0, 75000.0, 55000.0, 73.3]
    methods = workbook["按跟进方式统计"]
    assert methods[0] == ["跟进方式", "张伟", "团队平均"]
    assert methods[1:] == [
        ["电话", 2.0, 1.5],
        ["微信", 0.0, 1.5],
        ["拜访", 1.0, 0.5],
        ["跟进总数", 3.0, 3.5],
    ]
    deals = workbook["商机与跟进"]
    assert deals[0] == ["指标", "张伟", "团队平均", "单位"]
    assert deals[1:] == [
        ["新建商机", 3.0, 2.5, ""],
        ["赢单商机", 1.0, 1.5, ""],
        ["赢单金额", 90000.0, 55000.0, "元"],
        ["输单商机", 1.0, 0.5, ""],
        ["转化率（赢单 ÷ 已关闭）", 50.0, 75.0, "%"],
        ["当前逾期跟进", 2.0, 1.0, ""],
    ]


def test_review_export_keeps_the_person_and_period_asked(people, quarter, activity, login):
    client = login(people.manager)
    rep4 = activity
    won = xlsx_sheets(client.get(REVIEW, review_query(rep4, quarter, format="xlsx")))["达成率"][1]
    assert won[1:4] == [50000.0, 20000.0, 40.0]  # 孙丽's quarter
    # the quarter before: no target, nothing won
    before = periods.previous("quarter", quarter)
    workbook = xlsx_sheets(client.get(REVIEW, review_query(rep4, before, format="xlsx")))
    assert workbook["达成率"][1:] == []
    assert workbook["商机与跟进"][2][1] == 0.0


def test_a_guessed_colleague_review_export_is_404(people, quarter, activity, login):
    for fmt in ("xlsx", "csv"):
        response = login(people.rep).get(REVIEW, review_query(people.rep3, quarter, format=fmt))
        assert response.status_code == 404


def test_review_csv_is_the_attainment_with_a_bom(people, quarter, activity, login):
    rows = csv_rows(login(people.rep).get(REVIEW, review_query(people.rep, quarter, format="csv")))
    assert len(rows) == 2
    assert rows[0][0] == "指标"
    assert rows[1][0] == "赢单金额"
    assert [Decimal(v) for v in rows[1][1:]] == [
        Decimal(100000),
        Decimal(90000),
        Decimal("90.0"),
        Decimal(75000),
        Decimal(55000),
        Decimal("73.3"),
    ]


def test_review_page_export_links_keep_the_query(people, quarter, activity, login):
    response = login(people.manager).get(REVIEW, review_query(people.rep, quarter))
    assert f"?user={people.rep.pk}&amp;kind=quarter&amp;period=" in response.content.decode()
    assert response.context["query"].startswith(f"user={people.rep.pk}&kind=quarter")


def test_review_export_queries_do_not_grow_with_the_team(people, quarter, activity, login):
    client = login(people.manager)
    query = review_query(people.rep, quarter, format="xlsx")
    few = export_queries(client, REVIEW, query)
    customer = people.customer(people.rep, "杭州新客户")
    for n in range(5):
        rep = account_services.create_user(
            f"hz{n}", "x", name=f"杭州{n}", role=User.Role.REP, team=people.hangzhou
        )
        set_target(rep, "10000", quarter)
        win(rep, "5000", people=people)
        Interaction.objects.create(customer=customer, user=rep, method="phone", content="x")
    more = export_queries(client, REVIEW, query)
    assert more <= few


# --- the payout report ----------------------------------------------------------------------
def test_payout_csv_has_a_bom_and_the_rows_of_the_xlsx(people, plan, quarter_sales, login):
    rows = csv_rows(login(people.manager).get(PAYOUT, {"plan": plan.pk, "format": "csv"}))
    assert rows[0][:3] == ["销售", "团队", "目标"]
    assert sorted(r[0] for r in rows[1:-1]) == sorted(["李经理", "张伟", "孙丽", "陈静"])
    assert rows[-1][0] == "合计"
    assert Decimal(rows[-1][7]) == Decimal("8700.00")  # 2,700 + 6,000: 赵磊's is not shown
