"""The demo purchases: written set-based, yet every customer's stored totals, satisfaction and
the cross-sell table agree with what the services would have kept; the big load puts back
every index it drops."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.demodata import sales as demo_sales
from kehu.sales import services
from kehu.sales.models import Order, OrderLine, ProductPair, SurveyAnswer


def _customers(people, n=40):
    made = []
    for i in range(n):
        owner = (people.rep, people.rep2, people.rep3)[i % 3]
        status = (Customer.Status.CUSTOMER, Customer.Status.CHURNED, Customer.Status.LEAD)[i % 3]
        made.append(people.customer(owner, f"演示客户{i:03d}有限公司", status=status))
    return made


def _stored_totals():
    return {
        c.pk: (c.purchase_total, c.purchase_count, c.first_purchase_on, c.last_purchase_on)
        for c in Customer.objects.all()
    }


def test_demo_orders_go_to_buyers_and_their_totals_match_the_orders(people):
    customers = _customers(people)
    made = demo_sales.generate(seed=7)

    assert made["orders"] == Order.objects.count() > 0
    assert made["lines"] == OrderLine.objects.count() >= made["orders"]
    buyers = set(Order.objects.values_list("customer_id", flat=True))
    leads = {c.pk for c in customers if c.status == Customer.Status.LEAD}
    assert buyers and not buyers & leads
    # each order's amount is the sum of its lines, its margin amount − cost
    for order in Order.objects.annotate(lines_sum=Sum("lines__amount")):
        assert order.amount == order.lines_sum
        assert order.margin == order.amount - order.cost
        assert order.owner_id == order.customer.owner_id
    # churned customers stopped buying over a year ago
    churned = [c.pk for c in customers if c.status == Customer.Status.CHURNED]
    last = Order.objects.filter(customer_id__in=churned).aggregate(m=Max("order_date"))["m"]
    assert last < timezone.localdate() - timedelta(days=365)

    stored = _stored_totals()
    services.rebuild_totals()
    assert _stored_totals() == stored
    per_customer = Order.objects.values("customer_id").annotate(
        n=Count("id"), total=Sum("amount"), first=Min("order_date")
    )
    for row in per_customer:
        total, count, first, _last = stored[row["customer_id"]]
        assert (total, count, first) == (row["total"], row["n"], row["first"])


def test_demo_satisfaction_is_each_customers_latest_csat_and_cross_sell_is_built(people):
    _customers(people)
    demo_sales.generate(seed=11)

    answered = SurveyAnswer.objects.filter(kind="csat").values_list("customer_id", flat=True)
    assert answered
    for customer in Customer.objects.filter(pk__in=answered):
        latest = (
            SurveyAnswer.objects.filter(customer=customer, kind="csat")
            .order_by("-answered_on", "-id")
            .first()
        )
        assert customer.satisfaction == latest.score
    assert ProductPair.objects.exists()


def _indexes(tables):
    with connection.cursor() as cursor:
        return {
            table: sorted(
                (name, sorted(info["columns"]))
                for name, info in connection.introspection.get_constraints(cursor, table).items()
            )
            for table in tables
        }


# the load changes connection settings and drops foreign keys: not inside a test's transaction
@pytest.mark.django_db(transaction=True)
def test_the_big_load_restores_every_index_and_constraint_it_drops(people, monkeypatch):
    _customers(people, 30)
    tables = [Order._meta.db_table, OrderLine._meta.db_table]
    before = _indexes(tables)
    monkeypatch.setattr(demo_sales, "BULK", 1)  # take the at-scale path with a small load

    made = demo_sales.generate_at_scale(400, seed=3)

    assert made["lines"] == OrderLine.objects.count() > 0
    assert _indexes(tables) == before
    assert set(made["seconds"]) >= {"rows", "indexes", "totals", "pairs"}
