"""The pivot: hand-computed cross tables over two small sources, the actor's visible rows
only, clear messages for choices it cannot make, and an .xlsx export."""

import io
from decimal import Decimal

from django.urls import reverse
from python_calamine import CalamineWorkbook

from kehu.reports import pivot

PIVOT = reverse("reports:pivot")


def table(response) -> dict:
    """{row label: ([cells], total)} of the page's table."""
    return {r["label"]: (r["cells"], r["total"]) for r in response.context["table"]}


def test_customers_by_tier_and_team_counted_by_hand(people, world, login):
    response = login(people.director).get(
        PIVOT, {"source": "customers", "rows": "tier", "columns": "team"}
    )
    result = response.context["result"]
    columns = list(result.col_labels.values())
    rows = table(response)
    # A: 张伟 (杭州组), 赵磊 (北京组); B: 陈静 (上海组), the shared one (赵磊, 北京组);
    # C: the manager's (华东大区); no tier: the director's (销售部)
    assert rows["A"][1] == 2 and rows["B"][1] == 2 and rows["C"][1] == 1 and rows["—"][1] == 1
    assert rows["A"][0][columns.index("杭州组")] == 1
    assert rows["A"][0][columns.index("北京组")] == 1
    assert rows["B"][0][columns.index("北京组")] == 1
    assert rows["C"][0][columns.index("华东大区")] == 1
    assert result.total() == 6
    assert sum(response.context["col_totals"]) == 6


def test_orders_summed_and_averaged_by_owner(people, world, login):
    client = login(people.director)
    sums = table(
        client.get(
            PIVOT, {"source": "orders", "rows": "owner", "measure": "sum", "amount": "amount"}
        )
    )
    assert {k: v[1] for k, v in sums.items()} == {
        "张伟": Decimal("350.00"),
        "陈静": Decimal("400.00"),
        "赵磊": Decimal("1000.00"),
    }
    response = client.get(
        PIVOT, {"source": "orders", "rows": "owner", "measure": "avg", "amount": "amount"}
    )
    assert table(response)["张伟"][1] == Decimal("175.00")
    assert response.context["result"].total() == Decimal("437.50")  # 1750 / 4 orders


def test_a_reps_pivot_counts_only_what_they_see(people, world, login):
    response = login(people.rep).get(PIVOT, {"source": "customers", "rows": "owner"})
    # their own customer and the one 赵磊 shared with them; nobody else's
    assert {k: v[1] for k, v in table(response).items()} == {"张伟": 1, "赵磊": 1}
    orders = login(people.rep).get(
        PIVOT, {"source": "orders", "rows": "owner", "measure": "sum", "amount": "amount"}
    )
    assert "陈静" not in table(orders)


def test_each_dimension_is_capped_with_other(people, world, login, monkeypatch):
    monkeypatch.setattr(pivot, "MAX_VALUES", 2)
    response = login(people.director).get(PIVOT, {"source": "customers", "rows": "owner"})
    rows = table(response)
    assert len(rows) == 3 and "other" in rows or "其他" in rows
    assert response.context["result"].total() == 6


def test_month_and_stage_dimensions(people, world, login):
    client = login(people.director)
    response = client.get(PIVOT, {"source": "deals", "rows": "stage", "columns": "month"})
    assert response.context["result"].total() == 4
    month = f"{world['today']:%Y-%m}"
    assert list(response.context["result"].col_labels.values()) == [month]


def test_choices_it_cannot_make_are_messages_not_errors(people, world, login):
    client = login(people.director)
    for params in [
        {"source": "planets", "rows": "tier"},
        {"source": "customers", "rows": "stage"},
        {"source": "customers", "rows": "tier", "columns": "tier"},
        {"source": "interactions", "rows": "method", "measure": "sum"},
        {"source": "orders", "rows": "owner", "measure": "sum", "amount": "nope"},
        {"source": "orders", "rows": "owner", "measure": "median"},
        {"source": "orders", "rows": "owner", "since": "2026-13-45"},
        {"source": "orders", "rows": "owner", "since": "2026-05-01", "until": "2026-04-01"},
    ]:
        response = client.get(PIVOT, params)
        assert response.status_code == 200, params
        assert response.context["errors"], params
        assert response.context["result"] is None
        assert 'data-testid="pivot-error"' in response.content.decode()


def test_the_period_filters_on_the_sources_date(people, world, login):
    from datetime import timedelta

    today = world["today"]
    client = login(people.director)
    later = client.get(
        PIVOT, {"source": "orders", "rows": "owner", "since": str(today + timedelta(days=1))}
    )
    assert later.context["result"].total() == 0
    now = client.get(PIVOT, {"source": "interactions", "rows": "owner", "since": str(today)})
    assert now.context["result"].total() == 3


def test_the_export_is_a_readable_xlsx(people, world, login):
    response = login(people.director).get(
        PIVOT,
        {
            "source": "orders",
            "rows": "owner",
            "columns": "tier",
            "measure": "sum",
            "amount": "amount",
            "format": "xlsx",
        },
    )
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + 3 + 1  # header, three owners, totals
    assert rows[-1][-1] == 1750.0
    by_owner = {r[0]: r[-1] for r in rows[1:-1]}
    assert by_owner["赵磊"] == 1000.0
