"""The payout report: hand-computed payouts per person and in total, who sees which lines,
a query count that does not grow with the number of reps, and the .xlsx export."""

import io
from decimal import Decimal

from django.urls import reverse
from python_calamine import CalamineWorkbook

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.incentives import queries, services
from kehu.targets import periods

from .conftest import TIERED, plan_data, set_target, win

D = Decimal


def lines(report) -> dict:
    return {
        r.user.username: (r.target, r.actual, r.result.attainment, r.amount) for r in report.rows
    }


def test_director_sees_everyone_with_hand_computed_payouts(people, plan, quarter, quarter_sales):
    report = queries.payout(people.director, plan, quarter)
    assert lines(report) == {
        "manager": (None, D(0), None, D("0.00")),
        "rep": (D("100000"), D("90000"), D("90.0"), D("2700.00")),
        "rep4": (D("50000"), D("20000"), D("40.0"), D("0.00")),
        "rep3": (D("100000"), D("120000"), D("120.0"), D("6000.00")),
        "rep2": (D("50000"), D(0), D("0.0"), D("0.00")),
    }
    assert report.total_payout == D("8700.00")
    assert report.total_target == D("300000")
    assert report.total_actual == D("230000")
    assert report.attainment == D("76.7")
    rep = next(r for r in report.rows if r.user == people.rep)
    assert (rep.result.band, rep.result.rate) == (2, D(3))


def test_marginal_accelerated_and_capped(people, quarter, quarter_sales):
    plan = services.save_plan(
        people.director,
        plan_data(mode="marginal", accelerator="1.5", cap_amount="1000"),
        TIERED,
    )
    report = lines(queries.payout(people.director, plan, quarter))
    # 张伟 90%: 10,000 × 3% = 300
    assert report["rep"][3] == D("300.00")
    # 陈静 120%: 20,000 × 3% + 20,000 × 5% × 1.5 = 600 + 1,500 = 2,100 → capped at 1,000
    assert report["rep3"][3] == D("1000.00")


def test_rep_sees_only_their_own_line(people, plan, quarter, quarter_sales):
    assert list(lines(queries.payout(people.rep, plan, quarter))) == ["rep"]


def test_manager_sees_their_subtree(people, plan, quarter, quarter_sales):
    assert set(lines(queries.payout(people.manager, plan, quarter))) == {
        "manager",
        "rep",
        "rep4",
        "rep3",
    }


def test_a_team_plan_lists_only_its_subtree(people, quarter, quarter_sales, login):
    plan = services.save_plan(people.director, plan_data(team=people.north), TIERED)
    assert list(lines(queries.payout(people.director, plan, quarter))) == ["rep2"]
    # 张伟 is not under 华北大区: the plan is not his, and guessing its id is a 404
    assert login(people.rep).get(reverse("incentives:payout"), {"plan": plan.pk}).status_code == 404


def test_query_count_does_not_grow_with_reps(
    people, plan, quarter, quarter_sales, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6) as few:
        queries.payout(people.director, plan, quarter)
    for n in range(8):
        rep = account_services.create_user(
            f"extra{n}", "x", name=f"新人{n}", role=User.Role.REP, team=people.beijing
        )
        set_target(rep, "10000", quarter)
        win(rep, "9000", people=people)
    with django_assert_max_num_queries(len(few.captured_queries)):
        report = queries.payout(people.director, plan, quarter)
    assert len(report.rows) == 13
    assert report.total_payout == D("8700.00") + 8 * D("270.00")


def test_payout_page_rep_sees_own_line(people, plan, quarter, quarter_sales, login):
    response = login(people.rep).get(
        reverse("incentives:payout"),
        {"plan": plan.pk, "period": periods.key("quarter", quarter)},
    )
    assert response.status_code == 200
    assert [r.user for r in response.context["report"].rows] == [people.rep]
    assert "2,700.00" in response.content.decode()


def test_payout_page_shows_totals(people, plan, quarter_sales, login):
    response = login(people.director).get(reverse("incentives:payout"))  # first plan, now
    body = response.content.decode()
    assert response.context["report"].total_payout == D("8700.00")
    assert 'data-testid="total-payout">8,700.00' in body


def test_xlsx_export_has_real_numbers(people, plan, quarter, quarter_sales, login):
    response = login(people.director).get(
        reverse("incentives:payout"),
        {"plan": plan.pk, "period": periods.key("quarter", quarter), "format": "xlsx"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + 5 + 1  # header, five people, total
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["张伟"][2:8] == [100000.0, 90000.0, 90.0, 2.0, 3.0, 2700.0]
    assert by_name["陈静"][7] == 6000.0
    total = rows[-1]
    assert (total[2], total[3], total[7]) == (300000.0, 230000.0, 8700.0)


def test_xlsx_export_for_a_rep_holds_only_their_line(people, plan, quarter_sales, login):
    response = login(people.rep).get(
        reverse("incentives:payout"), {"plan": plan.pk, "format": "xlsx"}
    )
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    names = [row[0] for row in rows.to_python()[1:-1]]
    assert names == ["张伟"]
