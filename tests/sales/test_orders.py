"""Orders (购买记录): money exact to the cent, the customer's purchase totals kept on every
write, validation that writes nothing, collections (回款), access, and orders from won deals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.pipeline import services as pipeline_services
from kehu.pipeline.models import Stage
from kehu.sales import services
from kehu.sales.models import Order, OrderLine

from .conftest import NONE, buy, totals


@pytest.fixture
def customer(people):
    return people.customer(people.rep, "杭州云帆科技有限公司")


def test_line_amounts_and_the_order_total_are_exact_to_the_cent(people, catalogue, customer):
    order = services.create_order(
        people.rep,
        customer,
        {"order_date": date(2024, 3, 1)},
        [
            # 1.5 × the list price 19.99 = 29.985 → 29.99; cost 1.5 × 12.50 = 18.75
            {"product": catalogue["erp"].pk, "quantity": "1.5"},
            {"description": "数据迁移", "quantity": 3, "unit_price": "33.33"},
            # typed with a thousands separator and a third decimal: 1,234.565 → 1234.57
            {"description": "加急费", "quantity": 1, "unit_price": "1,234.565"},
        ],
    )
    order.refresh_from_db()
    lines = list(order.lines.all())
    assert [ln.amount for ln in lines] == [
        Decimal("29.99"),
        Decimal("99.99"),
        Decimal("1234.57"),
    ]
    assert [ln.cost for ln in lines] == [Decimal("18.75"), Decimal("0.00"), Decimal("0.00")]
    assert (order.amount, order.cost, order.margin) == (
        Decimal("1364.55"),
        Decimal("18.75"),
        Decimal("1345.80"),
    )
    for value in (order.amount, order.cost, order.margin, *(ln.amount for ln in lines)):
        assert isinstance(value, Decimal)


def test_a_product_line_left_without_a_price_sells_at_the_list_price(people, catalogue, customer):
    order = services.create_order(
        people.rep,
        customer,
        {"order_date": date(2024, 3, 1)},
        [{"product": catalogue["crm"].pk, "quantity": 2}],
    )
    line = order.lines.get()
    assert (line.unit_price, line.amount, line.cost) == (
        Decimal("5000.00"),
        Decimal("10000.00"),
        Decimal("2000.00"),
    )


def test_many_small_orders_add_up_to_the_exact_cent(people, customer):
    for cents in ("0.10", "0.20", "0.30", "0.10", "0.20", "0.10"):
        buy(people.rep, customer, date(2024, 3, 1), cents)
    customer.refresh_from_db()
    assert customer.purchase_total == Decimal("1.00")
    assert isinstance(customer.purchase_total, Decimal)


def _same_after_rebuild(customer, expected):
    assert totals(customer) == expected
    services.rebuild_totals()
    assert totals(customer) == expected


def test_the_purchase_totals_follow_every_create_update_and_delete(people, catalogue, customer):
    erp, crm = catalogue["erp"], catalogue["crm"]
    # one order: no rhythm yet, so nothing is due
    first = services.create_order(
        people.rep,
        customer,
        {"order_date": date(2024, 3, 1)},
        [{"product": erp.pk, "quantity": 2}],  # 39.98, cost 25.00
    )
    _same_after_rebuild(
        customer,
        (Decimal("39.98"), 1, Decimal("14.98"), date(2024, 3, 1), date(2024, 3, 1), None),
    )
    # an earlier order, entered late: gap 60 days × 1.5 = 90 days after 3-01
    early = services.create_order(
        people.rep,
        customer,
        {"order_date": date(2024, 1, 1)},
        [{"description": "维修", "quantity": 1, "unit_price": "1000.50"}],
    )
    _same_after_rebuild(
        customer,
        (
            Decimal("1040.48"),
            2,
            Decimal("1015.48"),
            date(2024, 1, 1),
            date(2024, 3, 1),
            date(2024, 5, 30),
        ),
    )
    # 1-01 … 5-01 is 121 days over two gaps: 60.5 × 1.5 = 90.75 → 91 days after 5-01
    third = services.create_order(
        people.rep,
        customer,
        {"order_date": date(2024, 5, 1)},
        [{"product": crm.pk, "quantity": 1, "unit_price": "4500"}],  # cost 1000
    )
    _same_after_rebuild(
        customer,
        (
            Decimal("5540.48"),
            3,
            Decimal("4515.48"),
            date(2024, 1, 1),
            date(2024, 5, 1),
            date(2024, 7, 31),
        ),
    )
    # moved to 4-02 and doubled at list price: 1-01 … 4-02 is 92 days, 46 × 1.5 = 69
    services.update_order(
        people.rep,
        third,
        {"order_date": date(2024, 4, 2)},
        [{"product": crm.pk, "quantity": 2}],  # 10000.00, cost 2000.00
        version=third.version,
    )
    _same_after_rebuild(
        customer,
        (
            Decimal("11040.48"),
            3,
            Decimal("9015.48"),
            date(2024, 1, 1),
            date(2024, 4, 2),
            date(2024, 6, 10),
        ),
    )
    # without the January order: 3-01 … 4-02 is 32 days × 1.5 = 48 days after 4-02
    services.delete_order(people.rep, early)
    _same_after_rebuild(
        customer,
        (
            Decimal("10039.98"),
            2,
            Decimal("8014.98"),
            date(2024, 3, 1),
            date(2024, 4, 2),
            date(2024, 5, 20),
        ),
    )
    services.delete_order(people.rep, third)
    _same_after_rebuild(
        customer,
        (Decimal("39.98"), 1, Decimal("14.98"), date(2024, 3, 1), date(2024, 3, 1), None),
    )
    services.delete_order(people.rep, first)
    _same_after_rebuild(customer, NONE)


def test_two_orders_on_the_same_day_give_no_rhythm_to_be_due_by(people, customer):
    buy(people.rep, customer, date(2024, 3, 1), "100.00")
    buy(people.rep, customer, date(2024, 3, 1), "50.00")
    _same_after_rebuild(
        customer,
        (Decimal("150.00"), 2, Decimal("150.00"), date(2024, 3, 1), date(2024, 3, 1), None),
    )


def test_an_order_dated_more_than_a_year_ahead_is_refused(people, customer):
    with pytest.raises(ValidationError) as err:
        buy(people.rep, customer, timezone.localdate() + timedelta(days=400))
    assert "order_date" in err.value.message_dict
    assert not Order.objects.exists()


def test_rebuilding_repairs_totals_written_around_the_services(people, customer):
    other = people.customer(people.rep2, "北京星辰网络科技有限公司")
    buy(people.rep, customer, date(2024, 1, 10), "300.00")
    buy(people.rep, customer, date(2024, 2, 9), "200.00")  # 30 days → due 45 days later
    buy(people.rep2, other, date(2024, 2, 1), "99.99")
    expected = {
        customer.pk: (
            Decimal("500.00"),
            2,
            Decimal("500.00"),
            date(2024, 1, 10),
            date(2024, 2, 9),
            date(2024, 3, 25),
        ),
        other.pk: (Decimal("99.99"), 1, Decimal("99.99"), date(2024, 2, 1), date(2024, 2, 1), None),
    }
    # totals damaged by a raw write, and a customer left with stale totals but no orders
    stale = people.customer(people.rep, "杭州小蚂蚁文具店")
    Customer.objects.update(
        purchase_total=Decimal("1.00"), purchase_count=9, last_purchase_on=date(2020, 1, 1)
    )
    assert services.rebuild_totals() == 2
    assert {c.pk: totals(c) for c in (customer, other)} == expected
    assert totals(stale) == NONE


def test_a_lead_becomes_a_customer_on_its_first_order(people, customer):
    assert customer.status == Customer.Status.LEAD
    buy(people.rep, customer, date(2024, 3, 1))
    customer.refresh_from_db()
    assert customer.status == Customer.Status.CUSTOMER


def test_a_churned_customer_who_orders_again_is_a_customer_again(people, customer):
    customer_services.bulk_set_status(people.rep, [customer.pk], Customer.Status.CHURNED)
    buy(people.rep, customer, date(2024, 3, 1))
    customer.refresh_from_db()
    assert customer.status == Customer.Status.CUSTOMER


def test_a_stale_order_form_is_refused(people, customer):
    order = buy(people.rep, customer, date(2024, 3, 1), "100.00")
    opened = order.version
    services.update_order(
        people.rep,
        order,
        {"order_date": date(2024, 3, 2)},
        [{"description": "货品", "unit_price": "120.00"}],
        version=opened,
    )
    with pytest.raises(ValidationError):
        services.update_order(
            people.rep,
            order,
            {"order_date": date(2024, 3, 3)},
            [{"description": "货品", "unit_price": "999.00"}],
            version=opened,
        )
    order.refresh_from_db()
    assert (order.amount, order.order_date, order.version) == (
        Decimal("120.00"),
        date(2024, 3, 2),
        opened + 1,
    )
    assert totals(customer)[:2] == (Decimal("120.00"), 1)


GOOD = {"description": "货品", "quantity": 1, "unit_price": "100.00"}


@pytest.mark.parametrize(
    ("data", "lines", "field"),
    [
        ({}, [GOOD], "order_date"),
        ({}, [], "lines"),
        ({}, [{**GOOD, "quantity": 0}], "line 1"),
        ({}, [{**GOOD, "quantity": Decimal("0")}], "line 1"),
        ({}, [{**GOOD, "quantity": "0"}], "line 1"),
        ({}, [{**GOOD, "quantity": "-2"}], "line 1"),
        ({}, [GOOD, {**GOOD, "unit_price": "-5"}], "line 2"),
        ({}, [GOOD, {**GOOD, "unit_price": "abc"}], "line 2"),
        ({}, [{"quantity": 1, "unit_price": "5"}], "line 1"),  # neither product nor description
        ({}, [{"product": 999999, "quantity": 1}], "line 1"),
        ({"collected_amount": "100.01"}, [GOOD], "collected_amount"),
    ],
)
def test_a_bad_order_is_refused_naming_the_field_and_writes_nothing(
    people, customer, data, lines, field
):
    if field != "order_date":
        data = {"order_date": date(2024, 3, 1), **data}
    with pytest.raises(ValidationError) as err:
        services.create_order(people.rep, customer, data, lines)
    assert field in err.value.message_dict
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    customer.refresh_from_db()
    assert customer.status == Customer.Status.LEAD
    assert totals(customer) == NONE


def test_a_bad_change_to_an_order_writes_nothing(people, customer):
    order = buy(people.rep, customer, date(2024, 3, 1), "100.00")
    before = totals(customer)
    with pytest.raises(ValidationError) as err:
        services.update_order(
            people.rep,
            order,
            {"order_date": date(2024, 4, 1)},
            [{**GOOD, "quantity": 0}],
            version=order.version,
        )
    assert "line 1" in err.value.message_dict
    order.refresh_from_db()
    assert (order.order_date, order.amount, order.version) == (
        date(2024, 3, 1),
        Decimal("100.00"),
        1,
    )
    assert order.lines.count() == 1
    assert totals(customer) == before


def test_rep_cannot_add_an_order_to_another_reps_customer(people):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    with pytest.raises(Http404):
        buy(people.rep, theirs, date(2024, 3, 1))
    assert not Order.objects.exists()


def test_rep_cannot_change_delete_or_collect_another_reps_order(people):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    order = buy(people.rep2, theirs, date(2024, 3, 1), "100.00")
    with pytest.raises(Http404):
        services.update_order(
            people.rep, order, {"order_date": date(2024, 3, 1)}, [GOOD], version=order.version
        )
    with pytest.raises(Http404):
        services.record_collection(people.rep, order, "10")
    with pytest.raises(Http404):
        services.delete_order(people.rep, order)
    assert Order.objects.filter(pk=order.pk, version=1, collected_amount=0).exists()


def test_a_viewer_cannot_add_orders(people, customer):
    with pytest.raises(Http404):
        buy(people.viewer, customer, date(2024, 3, 1))


def test_a_manager_books_an_order_for_a_reps_customer_credited_to_the_rep(people, customer):
    order = buy(people.manager, customer, date(2024, 3, 1))
    assert (order.owner, order.team, order.created_by) == (
        people.rep,
        people.hangzhou,
        people.manager,
    )


def test_rep_cannot_credit_an_order_to_a_colleague(people, customer):
    with pytest.raises(ValidationError) as err:
        buy(people.rep, customer, date(2024, 3, 1), owner=people.rep3)
    assert "owner" in err.value.message_dict
    assert not Order.objects.exists()


def test_collections_move_an_order_from_unpaid_to_partly_to_fully_collected(people, customer):
    order = buy(people.rep, customer, date(2024, 3, 1), "100.00")
    assert (order.collection, order.collected_amount, order.collected_on) == (
        Order.Collection.UNPAID,
        Decimal("0"),
        None,
    )
    order = services.record_collection(people.rep, order, "40.50", date(2024, 3, 10))
    assert (order.collection, order.collected_amount, order.collected_on) == (
        Order.Collection.PARTIAL,
        Decimal("40.50"),
        date(2024, 3, 10),
    )
    with pytest.raises(ValidationError) as err:  # 59.50 is what is left
        services.record_collection(people.rep, order, "59.51")
    assert "amount" in err.value.message_dict
    for nothing in ("0", "-1", ""):
        with pytest.raises(ValidationError) as err:
            services.record_collection(people.rep, order, nothing)
        assert "amount" in err.value.message_dict
    order = services.record_collection(people.rep, order, "59.50", date(2024, 4, 1))
    assert (order.collection, order.collected_amount, order.collected_on) == (
        Order.Collection.PAID,
        Decimal("100.00"),
        date(2024, 4, 1),
    )


def test_money_collected_with_the_order_is_dated_today_unless_said(people, customer):
    order = buy(people.rep, customer, date(2024, 3, 1), "100.00", collected_amount="30")
    assert (order.collection, order.collected_amount, order.collected_on) == (
        Order.Collection.PARTIAL,
        Decimal("30.00"),
        timezone.localdate(),
    )
    paid = buy(people.rep, customer, date(2024, 3, 2), "100.00", collected_amount="100")
    assert paid.collection == Order.Collection.PAID


# --- orders from won deals -------------------------------------------------------------------
@pytest.fixture
def stages(db):
    pipeline_services.ensure_default_stages()
    return {s.name: s for s in Stage.objects.all()}


@pytest.fixture
def deal(people, stages, customer):
    return pipeline_services.create_deal(
        people.rep, customer, {"title": "ERP 升级", "amount": "120000.50"}
    )


def test_only_a_won_deal_becomes_an_order(people, deal, stages):
    with pytest.raises(ValidationError):
        services.order_from_deal(people.rep, deal, {})
    deal = pipeline_services.move_stage(people.rep, deal, stages["输单"], lost_reason="价格高")
    with pytest.raises(ValidationError):
        services.order_from_deal(people.rep, deal, {})
    assert not Order.objects.exists()


def test_a_won_deal_becomes_one_order_for_its_amount_only_once(people, deal, stages, customer):
    deal = pipeline_services.move_stage(people.rep, deal, stages["赢单"])
    order = services.order_from_deal(people.rep, deal, {})
    line = order.lines.get()
    assert (order.deal, order.owner, order.amount) == (deal, people.rep, Decimal("120000.50"))
    assert (line.description, line.quantity, line.amount) == (
        "ERP 升级",
        Decimal("1.00"),
        Decimal("120000.50"),
    )
    assert order.order_date == timezone.localdate(deal.closed_at)
    customer.refresh_from_db()
    assert (customer.status, customer.purchase_total, customer.purchase_count) == (
        Customer.Status.CUSTOMER,
        Decimal("120000.50"),
        1,
    )
    with pytest.raises(ValidationError):
        services.order_from_deal(people.rep, deal, {})
    assert Order.objects.count() == 1


def test_a_won_deal_can_become_an_order_with_its_own_lines(people, deal, stages, catalogue):
    deal = pipeline_services.move_stage(people.rep, deal, stages["赢单"])
    day = timezone.localdate() - timedelta(days=3)
    order = services.order_from_deal(
        people.rep,
        deal,
        {"order_date": day},
        [{"product": catalogue["crm"].pk, "quantity": 3}, {"product": catalogue["setup"].pk}],
    )
    assert (order.order_date, order.amount, order.cost) == (
        day,
        Decimal("15800.00"),
        Decimal("3300.00"),
    )


def test_rep_cannot_turn_another_reps_won_deal_into_an_order(people, stages):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    deal = pipeline_services.create_deal(people.rep2, theirs, {"title": "云服务", "amount": "5000"})
    deal = pipeline_services.move_stage(people.rep2, deal, stages["赢单"])
    with pytest.raises(Http404):
        services.order_from_deal(people.rep, deal, {})
    assert not Order.objects.exists()
