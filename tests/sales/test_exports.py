"""The product list, the churn warnings (at risk, and churned to win back) and the lifecycle
report exported as .xlsx and CSV: every row the page's filters select, not only the rows the
page shows, real dates and amounts, and only what the person may see."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.sales import services, views, winback
from kehu.sales.models import Feedback, Product
from tests.downloads import csv_rows, sheet, xlsx_sheets

from .conftest import buy
from .test_churn_warnings import ago, answer, complain, overdue

PRODUCT_HEADER = [
    "产品",
    "产品编码",
    "类别",
    "标价（元）",
    "单位成本（元）",
    "订单数",
    "销售额（元）",
    "在售",
]
WARNING_HEADER = ["客户编号", "客户名称", "分级", "负责人", "采购额（元）", "原因"]
CHURNED_HEADER = [
    "客户编号",
    "客户名称",
    "状态",
    "负责人",
    "最近下单",
    "采购额（元）",
    "已安排挽回",
]


pytestmark = pytest.mark.usefixtures("churn_settings")


# --- products ---------------------------------------------------------------------------------
def test_product_export_lists_every_product_with_its_prices_and_sales(people, catalogue, login):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    buy(people.rep, customer, ago(10), "5000.00", product=catalogue["crm"])
    buy(people.rep, customer, ago(5), "4500.00", product=catalogue["crm"])
    services.save_product(
        people.director,
        {
            "name": "培训课程",
            "code": "TR-01",
            "unit_price": "1200",
            "unit_cost": "200",
            "category": "服务",
        },
        catalogue["training"],
    )
    services.save_product(
        people.director,
        {
            "name": "上门实施",
            "unit_price": "800",
            "unit_cost": "300",
            "category": "服务",
            "active": False,
        },
        catalogue["setup"],
    )
    page = login(people.rep).get(reverse("sales:products"))
    assert 'data-testid="export-xlsx"' in page.content.decode()
    rows = sheet(login(people.rep).get(reverse("sales:products") + "?format=xlsx"))
    assert rows[0] == PRODUCT_HEADER
    assert rows[1:] == [  # by name, as the page lists them
        ["CRM 专业版", "", "软件", 5000.0, 1000.0, 2, 9500.0, "是"],
        ["ERP 标准版", "", "软件", 19.99, 12.5, 0, "", "是"],
        ["上门实施", "", "服务", 800.0, 300.0, 0, "", "否"],
        ["培训课程", "TR-01", "服务", 1200.0, 200.0, 0, "", "是"],
    ]
    assert [p.name for p in page.context["products"]] == [r[0] for r in rows[1:]]


def test_product_csv_starts_with_the_bom_and_counts_sales_of_every_rep(people, catalogue, login):
    buy(
        people.rep2,
        people.customer(people.rep2, "北京星辰"),
        ago(3),
        "100",
        product=catalogue["erp"],
    )
    [header, *rows] = csv_rows(login(people.rep).get(reverse("sales:products") + "?format=csv"))
    assert header == PRODUCT_HEADER
    # products are no one's data: a rep sees what every product sold
    assert ["ERP 标准版", "", "软件", "19.99", "12.50", "1", "100.00", "是"] in rows


def test_product_export_queries_do_not_grow_with_products(
    people, login, django_assert_max_num_queries
):
    def add(n):
        customer = people.customer(people.rep, f"客户{n}")
        for _ in range(n):
            i = Product.objects.count()
            product = services.save_product(
                people.director,
                {"name": f"产品{i:03d}", "unit_price": "10", "category": f"类别{i % 3}"},
            )
            buy(people.rep, customer, ago(1), "10", product=product)

    client = login(people.rep)
    add(1)
    with django_assert_max_num_queries(10) as few:
        assert len(sheet(client.get(reverse("sales:products") + "?format=xlsx"))) == 2
    add(5)  # five more products, each in an order
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get(reverse("sales:products") + "?format=xlsx"))) == 7


# --- churn warnings: at risk --------------------------------------------------------------------
@pytest.fixture
def at_risk(people):
    """张伟's (rep) customers, each at risk for a known reason (see test_churn_warnings), one
    of them tier A; and 赵磊's (rep2) with an open complaint."""
    rep = people.rep
    c = {name: people.customer(rep, name) for name in ("worst", "slowing", "complaining", "csat")}
    c["neglected"] = people.customer(rep, "neglected", tier="A")
    for key in ("worst", "slowing"):  # ordered every 100 days: one was due 50 days ago
        buy(rep, c[key], ago(300), "1000.00")
        buy(rep, c[key], ago(200), "1000.00")
    complain(rep, c["worst"], Feedback.Severity.HIGH)
    answer(rep, c["worst"], "csat", 1)
    complain(rep, c["complaining"], Feedback.Severity.LOW)
    answer(rep, c["csat"], "csat", 1)
    overdue(c["neglected"], 5)
    overdue(c["neglected"], 3)
    c["theirs"] = people.customer(people.rep2, "北京星辰网络科技有限公司")
    complain(people.rep2, c["theirs"])
    return c


def test_warning_export_has_every_customer_at_risk_not_only_the_first_page(
    people, at_risk, login, monkeypatch
):
    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    client = login(people.rep)
    page = client.get(reverse("sales:warnings"))
    assert [w.customer.name for w in page.context["warnings"]] == ["worst", "slowing"]
    assert page.context["total"] == 5
    rows = sheet(client.get(reverse("sales:warnings") + "?format=xlsx"))
    assert rows[0] == WARNING_HEADER
    assert [r[1] for r in rows[1:]] == ["worst", "slowing", "complaining", "csat", "neglected"]
    worst, slowing, complaining, _csat, neglected = rows[1:]
    assert worst[:5] == [at_risk["worst"].pk, "worst", "", "张伟", 2000.0]
    assert "1 个未结投诉，最严重为“高”。" in worst[5]  # each reason, as the page says it
    assert str(ago(200)) in slowing[5] and str(ago(50)) in slowing[5]
    assert complaining[4] == 0.0
    assert neglected[2] == "A" and str(ago(5)) in neglected[5]


def test_rep_exports_only_warnings_about_their_own_customers(people, at_risk, login):
    url = reverse("sales:warnings")
    rep = csv_rows(login(people.rep).get(url + "?format=csv"))
    assert rep[0] == WARNING_HEADER
    assert "北京星辰网络科技有限公司" not in {r[1] for r in rep[1:]} and len(rep) == 6
    # a rep cannot ask for a colleague's, nor for a team
    assert login(people.rep).get(url + f"?user={people.rep2.pk}&format=csv").status_code == 404
    assert login(people.rep).get(url + f"?team={people.north.pk}&format=xlsx").status_code == 404
    # the manager of 华东大区 gets 张伟's, not 赵磊's of 华北
    manager = sheet(login(people.manager).get(url + "?format=xlsx"))
    assert {r[1] for r in manager[1:]} == {r[1] for r in rep[1:]}
    director = sheet(login(people.director).get(url + "?format=xlsx"))
    assert len(director) == 7


def test_warning_export_keeps_the_scope_picked(people, at_risk, login):
    url = reverse("sales:warnings")
    one = sheet(login(people.director).get(url + f"?user={people.rep2.pk}&format=xlsx"))
    assert [r[1:4] for r in one[1:]] == [["北京星辰网络科技有限公司", "", "赵磊"]]
    north = csv_rows(login(people.director).get(url + f"?team={people.north.pk}&format=csv"))
    assert [r[1] for r in north[1:]] == ["北京星辰网络科技有限公司"]


def test_warning_export_queries_do_not_grow_with_customers_at_risk(
    people, login, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            customer = people.customer(people.rep, f"客户{Customer.objects.count()}")
            complain(people.rep, customer)
            answer(people.rep, customer, "nps", 2)
            overdue(customer, 4)
            buy(people.rep, customer, ago(300), "100.00")
            buy(people.rep, customer, ago(200), "100.00")

    client = login(people.rep)
    url = reverse("sales:warnings") + "?format=xlsx"
    add(1)
    with django_assert_max_num_queries(20) as few:
        assert len(sheet(client.get(url))) == 2
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = sheet(client.get(url))
    assert len(rows) == 7 and all(len(r[5].split("。")) == 5 for r in rows[1:])


# --- churn warnings: churned, to win back ---------------------------------------------------
@pytest.fixture
def churned(people):
    """张伟's: one marked churned, one silent for more than a year (with a win-back plan);
    赵磊's: one silent."""
    rep = people.rep
    marked = people.customer(rep, "杭州西溪茶业")
    buy(rep, marked, ago(30), "300.00")
    customer_services.bulk_set_status(rep, [marked.pk], Customer.Status.CHURNED)
    silent = people.customer(rep, "杭州小蚂蚁文具店")
    buy(rep, silent, ago(500), "800.00")
    winback.plan(rep, silent)
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    buy(people.rep2, theirs, ago(400), "100.00")
    return {"marked": marked, "silent": silent, "theirs": theirs}


def test_churned_export_has_every_churned_customer_with_real_dates(
    people, churned, login, monkeypatch
):
    monkeypatch.setattr(views, "LIST_LIMIT", 1)
    client = login(people.rep)
    page = client.get(reverse("sales:warnings") + "?tab=winback")
    assert len(page.context["churned"]) == 1
    assert "?tab=winback&amp;format=xlsx" in page.content.decode()  # the tab shown is exported
    response = client.get(reverse("sales:warnings") + "?tab=winback&format=xlsx")
    assert (
        "filename*=UTF-8''%E6%B5%81%E5%A4%B1%E5%AE%A2%E6%88%B7-"
        in (response["Content-Disposition"])
    )  # 流失客户-<today>.xlsx
    rows = sheet(response)
    assert rows[0] == CHURNED_HEADER
    assert rows[1:] == [  # what they bought, most first
        [churned["silent"].pk, "杭州小蚂蚁文具店", "成交客户", "张伟", ago(500), 800.0, "是"],
        [churned["marked"].pk, "杭州西溪茶业", "流失客户", "张伟", ago(30), 300.0, ""],
    ]
    assert all(isinstance(r[4], date) for r in rows[1:])


def test_rep_exports_only_their_own_churned_customers(people, churned, login):
    url = reverse("sales:warnings") + "?tab=winback"
    rep = csv_rows(login(people.rep).get(url + "&format=csv"))
    assert rep[0] == CHURNED_HEADER
    assert [r[1] for r in rep[1:]] == ["杭州小蚂蚁文具店", "杭州西溪茶业"]
    assert rep[1][4] == str(ago(500)) and rep[1][5] == "800.00"
    director = sheet(login(people.director).get(url + "&format=xlsx"))
    assert len(director) == 4
    north = sheet(login(people.director).get(url + f"&team={people.north.pk}&format=xlsx"))
    assert [r[1] for r in north[1:]] == ["北京星辰网络科技有限公司"]


def test_churned_export_queries_do_not_grow_with_customers(
    people, login, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            customer = people.customer(people.rep, f"客户{Customer.objects.count()}")
            buy(people.rep, customer, ago(400), "100.00")
            winback.plan(people.rep, customer)

    client = login(people.rep)
    url = reverse("sales:warnings") + "?tab=winback&format=xlsx"
    add(1)
    with django_assert_max_num_queries(20) as few:
        assert len(sheet(client.get(url))) == 2
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = sheet(client.get(url))
    assert len(rows) == 7 and {r[6] for r in rows[1:]} == {"是"}


# --- the lifecycle report -------------------------------------------------------------------
FIGURE_HEADER = [
    "指标",
    pgettext("a figure's value", "value"),  # new msgids: the .po may not have them yet
    "单位",
    gettext("numerator"),
    gettext("denominator"),
    "订单数",
    "口径",
]
Y2024 = "start=2024-01-01&end=2024-12-31"


@pytest.fixture
def year(history, settings):
    """The `history` fixture of tests/sales/conftest.py, counted as test_lifecycle does."""
    settings.KEHU_CHURN_MARKED = False
    return history


def test_lifecycle_export_has_the_figures_and_both_satisfaction_tables(people, year, login):
    client = login(people.director)
    page = client.get(reverse("sales:lifecycle") + f"?{Y2024}")
    assert 'data-testid="export-xlsx"' in page.content.decode()
    figures, by_team, by_tier = xlsx_sheets(
        client.get(reverse("sales:lifecycle") + f"?{Y2024}&format=xlsx")
    ).values()
    assert figures[0] == FIGURE_HEADER
    rows = {r[0]: r for r in figures[1:]}
    assert rows["销售额"][1:6] == [9800.0, "元", "", "", 7]
    assert rows["客单价"][1:3] == [1400.0, "元"]
    assert rows["新客户数"][1] == 2
    assert rows["复购率"][1:5] == [80.0, "%", 4, 5]
    assert rows["流失率"][1:5] == [33.3, "%", 1, 3]
    assert rows["客户生命周期"][2] == "天"
    assert rows["NPS"][1] == 40.0
    # the page's figures, in its order, each with its definition; then whose and when
    assert [r[0] for r in figures[1:9]] == [str(f.label) for f in page.context["figures"]]
    assert [r[6] for r in figures[1:9]] == [str(f.definition) for f in page.context["figures"]]
    assert figures[9][0] == "范围" and figures[9][6] == "全公司"
    assert figures[10][0] == "周期" and figures[10][6] == "2024-01-01 – 2024-12-31"
    answers = [gettext("CSAT answers"), gettext("NPS answers")]
    assert by_team[0] == ["团队", "平均满意度（CSAT）", answers[0], "NPS", answers[1]]
    assert by_tier[0] == ["分级", "平均满意度（CSAT）", answers[0], "NPS", answers[1]]
    assert [r[0] for r in by_team[1:]] == [r[0] for r in page.context["by_team"]]
    assert by_tier[1:] == [
        ["", "", 0, 100.0, 1],  # 宁波金桥 has no tier
        ["A", 3.0, 2, 0.0, 2],
        ["B", 5.0, 1, 50.0, 2],
    ]


def test_rep_exports_their_own_figures_and_not_a_colleagues(people, year, login):
    url = reverse("sales:lifecycle") + f"?{Y2024}"
    rows = {r[0]: r for r in sheet(login(people.rep).get(url + "&format=xlsx"))[1:]}
    assert rows["销售额"][1] == 4000.0 and rows["范围"][6] == "张伟"
    assert login(people.rep).get(url + f"&user={people.rep2.pk}&format=xlsx").status_code == 404
    # the manager picks a team of theirs; not one of another region
    east = {r[0]: r for r in sheet(login(people.manager).get(url + "&format=xlsx"))[1:]}
    assert east["销售额"][1] == 8100.0 and east["范围"][6] == "华东大区"
    north = url + f"&team={people.north.pk}&format=xlsx"
    assert login(people.manager).get(north).status_code == 404
    assert {r[0]: r for r in sheet(login(people.director).get(north))[1:]}["销售额"][1] == 1700.0


def test_lifecycle_export_keeps_the_period(people, year, login):
    url = reverse("sales:lifecycle") + "?start=2023-01-01&end=2023-12-31&format=xlsx"
    rows = {r[0]: r for r in sheet(login(people.director).get(url))[1:]}
    # 2023: A 1000 + 2000, B 1200, F 900
    assert rows["销售额"][1] == 5100.0 and rows["销售额"][5] == 4
    assert rows["周期"][6] == "2023-01-01 – 2023-12-31"


def test_lifecycle_csv_is_the_figures_with_the_bom(people, year, login):
    response = login(people.director).get(reverse("sales:lifecycle") + f"?{Y2024}&format=csv")
    [header, *rows] = csv_rows(response)
    assert header == FIGURE_HEADER
    assert rows[1][:6] == ["销售额", "9800.00", "元", "", "", "7"]
    assert len(rows) == 10  # eight figures, the scope and the period


def test_lifecycle_export_queries_do_not_grow_with_customers(
    people, login, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            customer = people.customer(people.rep, f"客户{Customer.objects.count()}", tier="B")
            buy(people.rep, customer, date(2024, 3, 1), "100.00")
            buy(people.rep, customer, date(2024, 6, 1), "100.00")
            services.record_answer(
                people.rep, customer, {"kind": "csat", "score": 4, "answered_on": date(2024, 7, 1)}
            )

    client = login(people.director)
    url = reverse("sales:lifecycle") + f"?{Y2024}&format=xlsx"
    add(1)
    with django_assert_max_num_queries(20) as few:
        xlsx_sheets(client.get(url))
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        figures, _team, by_tier = xlsx_sheets(client.get(url)).values()
    assert {r[0]: r for r in figures[1:]}["销售额"][1] == 1200.0
    assert by_tier[1] == ["B", 4.0, 6, "", 0]
