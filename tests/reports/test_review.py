"""The review report (复盘), against values worked out by hand from the `history` fixture of
tests/sales (see its docstring), a few deals, a complaint and follow-ups; Q3 2024 against Q2.

KEHU_CHURN_DAYS is 365 and KEHU_CHURN_MARKED on (F is marked churned).

Q3 2024 (Jul–Sep): orders D 700, E 600. Q2 (Apr–Jun): A 2499.50, C 3000, F 1100; C is new.
Repurchase Q3: D and E both again (2 of 2); Q2: A and F again, C not (2 of 3).
Churn Q3: active at the start (an order in 2023-07-03 … 2024-06-30) A, C, E, F; gone by the end:
F (marked). Q2: active A, B, E, F; gone: B (no order since 2023-06-01), F (marked).
Answers Q3: D NPS 8, F NPS 9 (NPS 50, no CSAT); Q2: C CSAT 2, NPS 3 (NPS -100).

Deals (created → closed): Q2 W1 won (张伟), W2 won (赵磊), L3 created Q2 lost in Q3 价格高于竞品
(张伟); Q3 W4 won, L5 lost 价格高于竞品, O6 open (张伟), L7 lost 预算不足 (赵磊).
Conversion Q3: 1 won (W4) of the 4 created; win rate 1 of the 3 closed (W4, L5, L7).
Q2: 2 won of the 3 created, all three closed: 2 of 3.
"""

import subprocess
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, override
from python_calamine import CalamineWorkbook

from kehu.customers.models import Channel, Customer, Industry
from kehu.followups.models import FollowUp
from kehu.pipeline import services as deal_services
from kehu.pipeline.models import Deal, Stage
from kehu.reports import review
from kehu.reports.review_views import sheet_names
from kehu.sales import services as sales_services
from kehu.sales.lifecycle import Scope, scope_for
from kehu.sales.models import Feedback
from tests.sales.conftest import catalogue, history  # noqa: F401  (fixtures)

Q3 = review.Period("quarter", date(2024, 7, 1))
TODAY = date(2024, 12, 31)


@pytest.fixture(autouse=True)
def _churn_after_a_year(settings):
    settings.KEHU_CHURN_DAYS = 365
    settings.KEHU_CHURN_MARKED = True


def _at(day: date):
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


@pytest.fixture
def year(people, history):  # noqa: F811  (the imported fixture)
    """The history, with deals, a complaint and two overdue follow-ups. The deals and
    follow-ups are written as rows (the services would start milestones and seed a working-day
    calendar: a second per test); the figures read only the rows."""
    deal_services.ensure_default_stages()
    first = Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("position").first()
    won = Stage.objects.get(kind=Stage.Kind.WON)
    lost = Stage.objects.get(kind=Stage.Kind.LOST)
    plan = [
        ("W1", "A", date(2024, 4, 5), won, date(2024, 5, 1), ""),
        ("W2", "D", date(2024, 5, 5), won, date(2024, 6, 1), ""),
        ("L3", "A", date(2024, 6, 5), lost, date(2024, 7, 10), "价格高于竞品"),
        ("W4", "A", date(2024, 7, 5), won, date(2024, 8, 1), ""),
        ("L5", "A", date(2024, 8, 5), lost, date(2024, 8, 20), "价格高于竞品"),
        ("O6", "A", date(2024, 9, 5), first, None, ""),
        ("L7", "D", date(2024, 9, 6), lost, date(2024, 9, 25), "预算不足"),
    ]
    made = Deal.objects.bulk_create(
        Deal(
            title=title,
            customer=history[key],
            owner=history[key].owner,
            team=history[key].team,
            amount=1000,
            stage=stage,
            furthest=(won if stage == won else first).position,
            lost_reason=reason,
            closed_at=_at(closed) if closed else None,
        )
        for title, key, _created, stage, closed, reason in plan
    )
    for deal, row in zip(made, plan, strict=True):
        Deal.objects.filter(pk=deal.pk).update(created_at=_at(row[2]))
    b = history["B"]
    sales_services.open_feedback(
        people.rep,
        b,
        {"category": "price", "summary": "嫌价格高", "opened_at": _at(date(2024, 5, 10))},
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            customer=history[key],
            owner=people.rep,
            due_on=date(2024, 12, 1),
            method="phone",
            content="回访",
        )
        for key in ("A", "B")
    )
    return history


def figures(actor, scope, period=Q3):
    return {f.key: f for f in review.headline(actor, scope, period, TODAY)}


# --- headline figures ------------------------------------------------------------------------
def test_the_figures_of_the_quarter_against_the_one_before(people, year):
    f = figures(people.director, Scope())
    expected = {
        # key: (this quarter, the one before)
        "revenue": (Decimal("1300.00"), Decimal("6599.50")),
        "average_order": (Decimal("650.00"), Decimal("2199.83")),
        "new_customers": (0, 1),
        "repurchase_rate": (Decimal("100.0"), Decimal("66.7")),
        "churn_rate": (Decimal("25.0"), Decimal("50.0")),
        "csat": (None, Decimal("2.00")),
        "nps": (50.0, -100.0),
        "deals": (4, 3),
        "conversion": (Decimal("25.0"), Decimal("66.7")),
        "win_rate": (Decimal("33.3"), Decimal("66.7")),
    }
    assert {k: (f[k].value, f[k].previous) for k in expected} == expected
    assert f["churn_rate"].parts == {"part": 1, "whole": 4}
    assert f["churn_rate"].previous_parts == {"part": 2, "whole": 4}
    assert f["conversion"].parts == {"part": 1, "whole": 4}
    assert "lifetime" not in f  # the same in every period: nothing to compare


def test_changes_in_points_for_rates_and_in_percent_for_money(people, year):
    f = figures(people.director, Scope())
    assert (f["churn_rate"].delta, f["churn_rate"].trend) == (Decimal("-25.0"), "better")
    assert f["churn_rate"].delta_pct is None  # rates change in points
    assert (f["revenue"].delta, f["revenue"].delta_pct) == (Decimal("-5299.50"), Decimal("-80.3"))
    assert f["revenue"].trend == "worse" and f["revenue"].sign == ""
    assert (f["repurchase_rate"].delta, f["repurchase_rate"].sign) == (Decimal("33.3"), "+")
    assert f["nps"].delta == 150.0 and f["nps"].trend == "better"
    assert f["csat"].delta is None and f["csat"].trend == ""
    assert f["new_customers"].delta_pct == Decimal("-100.0")


def test_the_churned_customers_named_are_the_ones_the_churn_rate_counts(people, year, settings):
    q2 = Q3.previous
    churned = review.churned_in(people.director, Scope(), q2, TODAY)
    assert sorted(c.name for c in churned) == ["宁波金桥精密制造有限公司", "杭州小蚂蚁文具店"]
    settings.KEHU_CHURN_MARKED = False  # F stays active (ordered 2024-06-01)
    assert [c.name for c in review.churned_in(people.director, Scope(), q2, TODAY)] == [
        "杭州小蚂蚁文具店"
    ]


def test_churn_reasons_from_complaints_and_low_answers(people, year):
    churn = review.churn_reasons(people.director, Scope(), Q3.previous, TODAY)
    assert (churn["count"], churn["marked"], churn["lapsed"]) == (2, 1, 1)
    reasons = {r["key"]: (r["customers"], r["share"]) for r in churn["reasons"]}
    # B: a price complaint (2024-05-10) and CSAT 1 (2023-12-15); F: nothing on record
    assert reasons == {
        "price": (1, Decimal("50.0")),
        "satisfaction": (1, Decimal("50.0")),
        "none": (1, Decimal("50.0")),
    }
    assert churn["reasons"][-1]["key"] == "none"
    named = {c["name"]: c["reasons"] for c in churn["customers"]}
    assert named["杭州小蚂蚁文具店"] == [
        str(Feedback.Category.PRICE.label),
        gettext("low satisfaction"),
    ]
    assert named["宁波金桥精密制造有限公司"] == []


def test_lost_reasons_grouped_over_the_deals_lost_in_the_period(people, year):
    lost = review.lost_reasons(people.director, Scope(), Q3)
    # L3 (created in Q2) counts: it was lost in Q3
    assert lost["deals"] == 3 and lost["amount"] == Decimal("3000")
    assert [(r["reason"], r["deals"], r["share"]) for r in lost["reasons"]] == [
        ("价格高于竞品", 2, Decimal("66.7")),
        ("预算不足", 1, Decimal("33.3")),
    ]
    assert review.lost_reasons(people.director, Scope(), Q3.previous)["deals"] == 0


def test_overdue_work_by_owner_and_open_complaints(people, year):
    overdue = review.overdue_work(people.director, Scope(), TODAY)
    assert overdue["followups"] == 2 and overdue["complaints"] == 1
    (row,) = overdue["owners"]
    assert (row["owner"], row["followups"], row["oldest_due"], row["days_late"]) == (
        "张伟",
        2,
        date(2024, 12, 1),
        30,
    )
    assert row["complaints"] == 1
    assert [c["customer"] for c in overdue["open_complaints"]] == ["杭州小蚂蚁文具店"]


# --- traits of high-value customers ----------------------------------------------------------
@pytest.fixture
def ten(people):
    """Ten paying customers of 张伟 with purchases 1,000 … 10,000; the top fifth are the two
    biggest, H1 (10,000) and H2 (9,000).

    industry  制造业 H1 H2 L3 · 信息技术 the other seven      → 制造业 100% vs 30%: lift 3.33
    province  浙江 H1 + four · 上海 H2 + four                 → 50% vs 50%: lift 1
    channel   展会 H1 L4 · none for the rest                  → 50% vs 20%: lift 2.5
                                                   (not set: 50% vs 80%, 0.625 → 0.62)
    size      large H1 H2 L5 L6 · small the rest             → 100% vs 40%: lift 2.5
    """
    factory = Industry.objects.create(name="制造业")
    fair = Channel.objects.create(name="线下展会")
    rows = []
    for i in range(10, 0, -1):
        name = f"H{11 - i}" if i >= 9 else f"L{11 - i}"
        rows.append(
            (
                name,
                i * 1000,
                {
                    "industry": factory if name in ("H1", "H2", "L3") else people.industry,
                    "province": "浙江" if name in ("H1", "L3", "L4", "L5", "L6") else "上海",
                    "channel": fair if name in ("H1", "L4") else None,
                    "size": "large" if name in ("H1", "H2", "L5", "L6") else "small",
                },
            )
        )
    for name, total, data in rows:
        c = people.customer(people.rep, f"{name}客户", **data)
        Customer.objects.filter(pk=c.pk).update(purchase_total=total, purchase_count=1)
    return rows


def test_traits_of_the_top_fifth_against_all_paying_customers(people, ten):
    summary, traits, top = review.high_value_traits(people.rep, Scope(user=people.rep))
    assert (summary["base"], summary["count"], summary["threshold"]) == (10, 2, Decimal("9000"))
    assert summary["revenue_share"] == Decimal("34.5")  # 19,000 of 55,000
    industry = {
        t.value: (t.high, t.high_share, t.base, t.base_share, t.lift) for t in traits["industry"]
    }
    assert industry == {
        "制造业": (2, Decimal("100.0"), 3, Decimal("30.0"), Decimal("3.33")),
        "信息技术": (0, Decimal("0.0"), 7, Decimal("70.0"), Decimal("0.00")),
    }
    assert [t.lift for t in traits["province"]] == [Decimal("1.00"), Decimal("1.00")]
    channel = {t.value: t.lift for t in traits["channel"]}
    assert channel == {"线下展会": Decimal("2.50"), gettext("(not set)"): Decimal("0.62")}
    assert [(t.dimension, t.value, t.lift) for t in top] == [
        ("industry", "制造业", Decimal("3.33")),
        ("size", str(Customer.Size.LARGE.label), Decimal("2.50")),
        ("channel", "线下展会", Decimal("2.50")),
    ]


def test_no_paying_customers_no_traits(people):
    summary, traits, top = review.high_value_traits(people.rep, Scope(user=people.rep))
    assert (summary["count"], traits, top) == (0, {}, [])


# --- periods and access ---------------------------------------------------------------------
def test_periods_from_the_query():
    today = date(2024, 11, 15)
    assert review.period_for("month", "", today) == review.Period("month", date(2024, 10, 1))
    assert review.period_for("quarter", "", today) == review.Period("quarter", date(2024, 7, 1))
    assert review.period_for("quarter", "2024-08-20", today).start == date(2024, 7, 1)
    assert review.period_for("quarter", "2024-Q2", today).start == date(2024, 4, 1)
    assert review.period_for("quarter", "2024-05", today).start == date(2024, 4, 1)
    assert review.period_for("bogus", "2024-05", today) == review.Period("month", date(2024, 5, 1))
    assert Q3.previous.start == date(2024, 4, 1) and Q3.previous.end == date(2024, 6, 30)
    assert review.Period("month", date(2024, 1, 1)).previous.start == date(2023, 12, 1)


def test_a_reps_review_covers_only_their_own_book(people, year):
    rep = scope_for(people.rep)
    f = figures(people.rep, rep, Q3.previous)
    assert f["revenue"].value == Decimal("2499.50")  # A's order; not C's or F's
    assert f["deals"].value == 2 and f["conversion"].value == Decimal("50.0")  # W1, L3
    lost = review.lost_reasons(people.rep, rep, Q3)
    assert [(r["reason"], r["deals"]) for r in lost["reasons"]] == [("价格高于竞品", 2)]
    churned = review.churn_reasons(people.rep, rep, Q3.previous, TODAY)
    assert [c["name"] for c in churned["customers"]] == ["杭州小蚂蚁文具店"]  # not F


def test_a_rep_asking_for_another_team_or_rep_gets_404(people, year, login):
    client = login(people.rep)
    assert client.get(f"/reports/review/?team={people.east.pk}").status_code == 404
    assert client.get(f"/reports/review/xlsx/?user={people.rep2.pk}").status_code == 404
    assert client.get(f"/reports/review/pdf/?team={people.north.pk}").status_code == 404
    with pytest.raises(Http404):
        scope_for(people.manager, team=people.north)


# --- the page, the workbook, the PDF ----------------------------------------------------------
def test_the_page_shows_the_report_of_the_managers_team(people, year, login):
    page = login(people.manager).get("/reports/review/?period=quarter&at=2024-07-01")
    assert page.status_code == 200
    report = page.context["report"]
    assert report.scope.team == people.east and report.period == Q3
    html = page.content.decode()
    assert "华东大区" in html and "价格高于竞品" in html
    assert "/reports/review/pdf/?period=quarter&amp;at=2024-Q3" in html


def test_the_workbook_has_its_sheets_with_numbers(people, year, login):
    response = login(people.director).get("/reports/review/xlsx/?period=quarter&at=2024-Q3")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(BytesIO(response.content))
    with override("zh-hans"):
        assert book.sheet_names == sheet_names()
    overview, traits, churn, lost, overdue = (
        book.get_sheet_by_name(n).to_python() for n in book.sheet_names
    )
    with override("zh-hans"):
        revenue = next(r for r in overview if r[0] == gettext("revenue"))
    assert revenue[1:5] == [1300.0, 6599.5, -5299.5, -80.3]
    assert [r[:3] for r in lost[1:]] == [["价格高于竞品", 2.0, 66.7], ["预算不足", 1.0, 33.3]]
    assert overdue[1][:2] == ["张伟", 2.0] and overdue[1][4] == 1.0
    assert len(traits) > 1 and len(churn) >= 1


def _pdftotext(pdf: bytes) -> str:
    # poppler-utils is installed by the setup (.ci/run, make system-packages): missing is a failure
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def test_the_pdf_is_a_report_with_chinese_text(people, year, login):
    response = login(people.manager).get("/reports/review/pdf/?period=quarter&at=2024-04-01")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdftotext(response.content)
    with override("zh-hans"):
        title, churn_rate = gettext("Quarterly review"), gettext("churn rate")
    assert title.replace(" ", "") in text  # 季度复盘 once the catalog has it
    assert churn_rate == "流失率" and churn_rate in text
    assert "华东大区" in text  # the scope, on every page's header and the cover
    assert "杭州小蚂蚁文具店" in text  # churned in Q2, with its reasons
    with override("zh-hans"):
        period = review.Period("quarter", date(2024, 4, 1)).label
    assert period.replace(" ", "") in text and "1/" in text  # the period; pages "1 / n"


def test_without_weasyprint_the_pdf_link_explains(people, login, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    response = login(people.director).get("/reports/review/pdf/")
    assert response.status_code == 503
    assert b"libpango-1.0-0" in response.content and b"apt-get install" in response.content
