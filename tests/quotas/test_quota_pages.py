"""The quota pages as people use them: the director defines quotas per tier, a rep logs uses
from the customer page, the manager decides on over-uses, the report shows only what the
person may see (on the page and in the sheet), and guessed URLs are 404."""

import io
from datetime import date

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kehu.quotas import periods, services
from kehu.quotas.models import Quota, QuotaAllowance, QuotaUsage

from .conftest import MARCH


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


@pytest.fixture
def today():
    return periods.company_date()


def test_director_sees_the_matrix_and_defines_a_quota(people, quotas, login):
    client = login(people.director)
    page = client.get(reverse("quotas:list"))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="quota-form"' in html
    assert "技术支持工时" in html and "免费样品" in html
    response = client.post(
        reverse("quotas:list"),
        {
            "name": "上门培训",
            "unit": "次",
            "kind": "allowance",
            "period": "year",
            "over_use": "refuse",
            "active": "on",
            "allowance_A": "4",
            "allowance_B": "2",
            "allowance_C": "",
        },
    )
    assert response.status_code == 302
    q = Quota.objects.get(name="上门培训")
    assert dict(q.allowances.values_list("tier", "amount")) == {"A": 4, "B": 2}


def test_a_bad_quota_form_names_the_field(people, quotas, login):
    response = login(people.director).post(
        reverse("quotas:list"),
        {
            "name": "折扣上限",
            "unit": "%",
            "kind": "ceiling",
            "period": "month",
            "over_use": "refuse",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors and "period" in form.errors


def test_a_stale_quota_form_is_refused_on_the_page(people, quotas, login):
    q = quotas["hours"]
    client = login(people.director)
    data = {
        "name": q.name,
        "unit": "小时",
        "kind": "allowance",
        "period": "month",
        "over_use": "approval",
        "active": "on",
        "allowance_A": "25",
        "version": q.version,
    }
    assert client.post(f"/quotas/?edit={q.pk}", data).status_code == 302
    stale = client.post(f"/quotas/?edit={q.pk}", {**data, "allowance_A": "30"})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    assert QuotaAllowance.objects.get(quota=q, tier="A").amount == 25


def test_reps_see_the_allowances_but_cannot_change_them(people, quotas, login):
    client = login(people.rep)
    page = client.get(reverse("quotas:list"))
    assert page.status_code == 200 and 'data-testid="quota-form"' not in page.content.decode()
    assert client.post(reverse("quotas:list"), {"name": "x", "unit": "y"}).status_code == 404
    assert client.get(f"/quotas/?edit={quotas['hours'].pk}").status_code == 200
    assert Quota.objects.count() == 3


def test_the_nav_links_to_the_quotas(people, login):
    html = login(people.rep).get(reverse("quotas:usage")).content.decode()
    assert 'href="/quotas/"' in html


def test_rep_logs_a_use_from_the_customer_page(people, quotas, login, today):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="B")
    client = login(people.rep)
    page = client.get(reverse("customers:detail", args=[customer.pk]))
    html = page.content.decode()
    assert 'data-testid="quotas-panel"' in html and 'data-testid="quota-usage-form"' in html
    response = client.post(
        reverse("quotas:log", args=[customer.pk]),
        {"quota": quotas["hours"].pk, "amount": "3", "used_on": today.isoformat(), "note": "远程"},
    )
    assert response.status_code == 302 and response.url.endswith("#quotas")
    usage = QuotaUsage.objects.get()
    assert (usage.amount, usage.status, usage.by) == (3, "approved", people.rep)
    page = client.get(reverse("customers:detail", args=[customer.pk]))
    hours = next(s for s in page.context["quota_standing"] if s.quota == quotas["hours"])
    assert (hours.used, hours.remaining) == (3, 5)


def test_an_over_use_refused_on_the_page_says_what_is_left(people, refusing_hours, login, today):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")  # 2 hours
    client = login(people.rep)
    response = client.post(
        reverse("quotas:log", args=[customer.pk]),
        {"quota": refusing_hours.pk, "amount": "3", "used_on": today.isoformat()},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2" in text and "3" in text
    assert not QuotaUsage.objects.exists()


def test_the_panel_says_a_customer_without_a_tier_has_no_allowance(people, quotas, login):
    customer = people.customer(people.rep, "杭州小蚂蚁文具店")
    page = login(people.rep).get(reverse("customers:detail", args=[customer.pk]))
    assert all(not s.has_allowance for s in page.context["quota_standing"])
    assert 'data-testid="quota-standing"' in page.content.decode()


def test_rep_cannot_log_usage_on_another_reps_customer_by_url(people, quotas, login, today):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司", tier="A")
    data = {"quota": quotas["hours"].pk, "amount": "1", "used_on": today.isoformat()}
    assert login(people.rep).post(reverse("quotas:log", args=[theirs.pk]), data).status_code == 404
    assert (
        login(people.viewer).post(reverse("quotas:log", args=[theirs.pk]), data).status_code == 404
    )
    assert login(people.rep).post("/quotas/log/999999/", data).status_code == 404
    assert not QuotaUsage.objects.exists()


def test_the_manager_approves_an_over_use_on_the_approvals_page(people, quotas, login):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    usage = services.record_usage(people.rep, customer, quotas["samples"], "2", MARCH, "展会")
    manager = login(people.manager)
    page = manager.get(reverse("quotas:approvals"))
    assert list(page.context["pending"]) == [usage]
    # the rep sees their request waiting, and nothing to decide
    mine = login(people.rep).get(reverse("quotas:approvals"))
    assert list(mine.context["pending"]) == [] and list(mine.context["mine"]) == [usage]
    response = manager.post(reverse("quotas:decide", args=[usage.pk]), {"decision": "approve"})
    assert response.status_code == 302
    usage.refresh_from_db()
    assert usage.status == "approved" and usage.decided_by == people.manager


def test_guessed_approval_urls_give_404(people, quotas, login):
    beijing = people.customer(people.rep2, "北京星辰网络科技有限公司", tier="C")
    usage = services.record_usage(people.rep2, beijing, quotas["samples"], "1", MARCH)
    url = reverse("quotas:decide", args=[usage.pk])
    for who in (people.rep, people.manager):
        assert login(who).post(url, {"decision": "approve"}).status_code == 404
    # the viewer (no team) may see every customer, but decides nothing
    assert login(people.viewer).post(url, {"decision": "approve"}).status_code == 302
    assert login(people.director).post("/quotas/approvals/999999/", {}).status_code == 404
    assert login(people.rep).get(reverse("quotas:decide", args=[usage.pk])).status_code == 405
    usage.refresh_from_db()
    assert usage.status == "pending"


def test_a_rep_cannot_approve_on_their_own_customer(people, quotas, login):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    usage = services.record_usage(people.rep, customer, quotas["samples"], "1", MARCH)
    response = login(people.rep).post(
        reverse("quotas:decide", args=[usage.pk]), {"decision": "approve"}, follow=True
    )
    assert response.status_code == 200
    usage.refresh_from_db()
    assert usage.status == "pending"


# --- the usage report -----------------------------------------------------------------------
@pytest.fixture
def march_usage(people, quotas):
    p, log = people, services.record_usage
    a = p.customer(p.rep, "杭州云帆科技有限公司", tier="A")
    c = p.customer(p.rep3, "上海海纳贸易有限公司", tier="B")
    d = p.customer(p.rep2, "北京星辰网络科技有限公司", tier="C")
    log(p.rep, a, quotas["hours"], "12", date(2026, 3, 3))
    log(p.rep, a, quotas["hours"], "6", date(2026, 3, 20))
    log(p.rep, a, quotas["discount"], "15", date(2026, 3, 20))
    log(p.rep3, c, quotas["hours"], "8", date(2026, 3, 5))
    log(p.rep3, c, quotas["hours"], "2", date(2026, 3, 6))  # pending
    log(p.rep2, d, quotas["samples"], "1", date(2026, 3, 9))  # pending
    log(p.rep, a, quotas["hours"], "4", date(2026, 4, 1))  # April: not in March's report
    return {"a": a, "c": c, "d": d}


def _report(client, query=""):
    return client.get(f"/quotas/usage/?period=month&day=2026-03-15{query}")


def test_the_usage_report_shows_each_customers_use_of_the_month(people, quotas, march_usage, login):
    page = _report(login(people.director))
    rows = {(r["customer__name"], r["quota"].name): r for r in page.context["rows"]}
    a_hours = rows[("杭州云帆科技有限公司", "技术支持工时")]
    assert (a_hours["used"], a_hours["allowance"], a_hours["remaining"], a_hours["uses"]) == (
        18,
        20,
        2,
        2,
    )
    c_hours = rows[("上海海纳贸易有限公司", "技术支持工时")]
    assert (c_hours["used"], c_hours["pending"], c_hours["remaining"]) == (8, 2, 0)
    assert rows[("杭州云帆科技有限公司", "折扣上限")]["highest"] == 15
    assert len(rows) == 4
    assert "2026-03" in page.content.decode()


def test_the_report_over_a_quarter_counts_three_months_of_allowance(
    people, quotas, march_usage, login
):
    page = login(people.director).get("/quotas/usage/?period=quarter&day=2026-02-01")
    a_hours = next(
        r
        for r in page.context["rows"]
        if r["customer_id"] == march_usage["a"].pk and r["quota"] == quotas["hours"]
    )
    assert (a_hours["allowance"], a_hours["used"]) == (60, 18)


def test_the_report_shows_a_rep_only_their_customers(people, quotas, march_usage, login):
    rows = _report(login(people.rep)).context["rows"]
    assert {r["customer__name"] for r in rows} == {"杭州云帆科技有限公司"}
    manager = _report(login(people.manager)).context["rows"]
    assert {r["customer__name"] for r in manager} == {
        "杭州云帆科技有限公司",
        "上海海纳贸易有限公司",
    }
    exported = sheet(
        login(people.rep).get("/quotas/usage/?period=month&day=2026-03-15&format=xlsx")
    )
    assert {row[1] for row in exported[1:]} == {"杭州云帆科技有限公司"}


def test_the_report_filters_by_quota_and_team(people, quotas, march_usage, login):
    client = login(people.director)
    by_quota = _report(client, f"&quota={quotas['samples'].pk}").context["rows"]
    assert [r["customer__name"] for r in by_quota] == ["北京星辰网络科技有限公司"]
    by_team = _report(client, f"&team={people.east.pk}").context["rows"]
    assert {r["customer__name"] for r in by_team} == {
        "杭州云帆科技有限公司",
        "上海海纳贸易有限公司",
    }
    # a team outside the manager's subtree is not theirs to pick
    assert _report(login(people.manager), f"&team={people.north.pk}").status_code == 404


def test_the_report_exports_to_xlsx(people, quotas, march_usage, login):
    rows = sheet(
        login(people.director).get("/quotas/usage/?period=month&day=2026-03-15&format=xlsx")
    )
    assert len(rows) == 1 + 4
    header = rows[0]
    assert len(header) == 14
    a_hours = next(r for r in rows[1:] if r[1] == "杭州云帆科技有限公司" and r[5] == "技术支持工时")
    assert a_hours[7:10] == [20, 18, 2]


def test_the_report_queries_do_not_grow_with_rows(
    people, quotas, login, django_assert_max_num_queries
):
    client = login(people.manager)

    def add(n):
        for i in range(n):
            customer = people.customer(
                people.rep, f"客户{QuotaUsage.objects.count()}-{i}", tier="A"
            )
            services.record_usage(people.rep, customer, quotas["hours"], "1", MARCH)
            services.record_usage(people.rep, customer, quotas["discount"], "5", MARCH)

    add(2)
    with django_assert_max_num_queries(15) as few:
        assert len(_report(client).context["rows"]) == 4
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_report(client).context["rows"]) == 44
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert (
            len(sheet(client.get("/quotas/usage/?period=month&day=2026-03-15&format=xlsx"))) == 45
        )


def test_the_customer_page_panel_costs_a_fixed_number_of_queries(
    people, quotas, login, django_assert_max_num_queries
):
    customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="A")
    client = login(people.rep)
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    with django_assert_max_num_queries(200) as before:
        client.get(url)
    for i in range(5):
        services.record_usage(people.rep, customer, quotas["hours"], "1", MARCH)
        services.record_usage(people.rep, customer, quotas["samples"], "1", date(2026, 1, 2 + i))
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


def test_report_and_approval_pages_render_for_everyone(people, quotas, march_usage, login):
    for who in (people.director, people.manager, people.rep, people.viewer, people.admin):
        client = login(who)
        for url in (
            "/quotas/",
            "/quotas/usage/",
            "/quotas/approvals/",
            "/quotas/usage/?period=custom&start=2026-03-01&end=2026-02-01",
        ):
            assert client.get(url).status_code == 200, (who, url)
    # a nonsense period or date falls back to this month
    assert login(people.rep).get("/quotas/usage/?period=week&day=2026-13-45").status_code == 200
    assert login(people.rep).get("/quotas/usage/?quota=999999").status_code == 404
