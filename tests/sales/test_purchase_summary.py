"""The customer page's purchase panel: totals, this year, rhythm, categories and months, read
in a fixed number of queries however many orders the customer has."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from kehu.sales import queries, services

from .conftest import buy

TODAY = date(2024, 6, 30)


@pytest.fixture
def customer(people):
    return people.customer(people.rep, "杭州云帆科技有限公司")


def test_the_purchase_panel_of_a_customer(people, catalogue, customer):
    c = catalogue
    order = services.create_order
    order(
        people.rep,
        customer,
        {"order_date": date(2023, 5, 10)},
        [{"product": c["erp"].pk, "quantity": 10}],  # 199.90, cost 125.00
    )
    order(
        people.rep,
        customer,
        {"order_date": date(2024, 1, 15)},
        [{"product": c["crm"].pk}, {"product": c["setup"].pk}],  # 5800.00, cost 1300.00
    )
    order(
        people.rep,
        customer,
        {"order_date": date(2024, 6, 1)},
        [{"product": c["training"].pk}],  # 1200.00, cost 200.00
    )
    s = queries.purchase_summary(people.rep, customer, today=TODAY)
    assert (s.total, s.count, s.margin, s.average) == (
        Decimal("7199.90"),
        3,
        Decimal("5574.90"),
        Decimal("2399.97"),  # 7199.90 / 3
    )
    assert (s.this_year, s.this_year_count) == (Decimal("7000.00"), 2)
    assert (s.first, s.last, s.recency_days) == (date(2023, 5, 10), date(2024, 6, 1), 29)
    # 388 days over two gaps: 194 × 1.5 = 291 days after 2024-06-01
    assert s.due == date(2025, 3, 19)
    assert s.per_year == 2.6  # 3 orders over 417 days
    assert s.categories == [("软件", Decimal("5199.90")), ("服务", Decimal("2000.00"))]
    months = dict(s.months)
    assert len(s.months) == 24 and s.months[0][0] == "2022-07" and s.months[-1][0] == "2024-06"
    assert {m: v for m, v in months.items() if v} == {
        "2023-05": Decimal("199.90"),
        "2024-01": Decimal("5800.00"),
        "2024-06": Decimal("1200.00"),
    }


def test_the_panel_of_a_customer_without_orders(people, customer):
    s = queries.purchase_summary(people.rep, customer, today=TODAY)
    assert (s.total, s.count, s.this_year, s.this_year_count) == (
        Decimal("0.00"),
        0,
        Decimal("0.00"),
        0,
    )
    assert (s.average, s.per_year, s.recency_days, s.first, s.last, s.due) == (None,) * 6
    assert s.categories == [] and len(s.months) == 24


def test_rep_cannot_read_the_panel_of_another_reps_customer(people):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    with pytest.raises(Http404):
        queries.purchase_summary(people.rep, theirs, today=TODAY)


def _queries_for(actor, customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        summary = queries.purchase_summary(actor, customer, today=TODAY)
        assert summary.months  # everything is read inside the block
    return len(captured)


def test_the_panel_takes_the_same_few_queries_however_many_orders(people, catalogue, customer):
    buy(people.rep, customer, date(2024, 1, 1), "100.00", product=catalogue["erp"])
    few = _queries_for(people.rep, customer)
    for i in range(30):
        product = catalogue["crm"] if i % 2 else catalogue["setup"]
        buy(
            people.rep,
            customer,
            date(2022, 8, 1) + timedelta(days=i * 23),
            "10.00",
            product=product,
        )
    assert _queries_for(people.rep, customer) == few <= 5
