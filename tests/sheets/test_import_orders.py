"""Importing purchase records (购买记录): one row per line, grouped into orders by contract
number; an exported order list edited and imported again updates the same orders."""

from datetime import date
from decimal import Decimal

import pytest

from kehu.sales import services as sales
from kehu.sales.models import Order
from kehu.sheets import importer, services
from kehu.sheets.importer import ImportRefused

from .conftest import xlsx


@pytest.fixture
def erp(people):
    return sales.save_product(
        people.director, {"name": "ERP 标准版", "unit_price": "12000", "unit_cost": "4000"}
    )


HEADER = [
    "客户名称",
    "购买日期",
    "合同号",
    "产品",
    "数量",
    "单价",
    "金额（万元）",
    "回款状态",
    "备注",
]


def test_purchase_records_become_orders_grouped_by_contract(people, book, erp):
    customer = book["rep"]
    rows = [
        HEADER,
        [customer.name, date(2025, 3, 1), "HT-001", "ERP 标准版", 2, None, None, "已回款", "首单"],
        [customer.name, date(2025, 3, 1), "HT-001", "实施服务", 1, "6,000", None, "已回款", ""],
        [customer.name, "2025年9月8日", "", "培训", None, None, 0.5, "未回款", ""],
    ]
    batch = services.upload(people.rep, xlsx(rows), "购买记录.xlsx", "orders")
    assert batch.summary["new"] == 3 and batch.summary["error"] == 0, batch.summary["samples"]
    batch = importer.commit(people.rep, batch, {})
    assert batch.summary["created"] == 2
    first, second = Order.objects.filter(customer=customer).order_by("order_date")
    assert first.number == "HT-001" and first.amount == Decimal("30000.00")
    assert first.lines.count() == 2 and first.collection == Order.Collection.PAID
    assert first.notes == "首单"
    assert second.amount == Decimal("5000.00")  # 0.5 万元, one line described as 培训
    assert second.lines.get().description == "培训"
    customer.refresh_from_db()
    assert customer.purchase_total == Decimal("35000.00") and customer.purchase_count == 2
    # undo goes through the services: the totals follow
    importer.undo(people.director, batch)
    customer.refresh_from_db()
    assert not Order.objects.exists() and customer.purchase_total == 0


def test_rows_need_a_product_or_an_amount_and_a_customer_the_rep_may_change(people, book):
    rows = [
        HEADER,
        [book["rep"].name, date(2025, 3, 1), "", "", None, None, None, "", ""],
        [book["rep2"].name, date(2025, 3, 1), "", "ERP", 1, 100, None, "", ""],
    ]
    batch = services.upload(people.rep, xlsx(rows), "o.xlsx", "orders")
    assert batch.summary["error"] == 2
    problems = [m for s in batch.summary["samples"] for _c, m in s["problems"]]
    assert any("产品" in m or "product" in m for m in problems)


def test_an_exported_order_list_updates_the_same_orders(people, book, erp, login):
    order = sales.create_order(
        people.rep, book["rep"], {"order_date": date(2025, 5, 1)}, [{"product": erp.pk}]
    )
    sheet = login(people.rep).get("/sales/orders/?format=xlsx").content
    import io

    from python_calamine import CalamineWorkbook

    cells = CalamineWorkbook.from_filelike(io.BytesIO(sheet)).get_sheet_by_index(0).to_python()
    header, row = cells[0], list(cells[1])
    row[header.index("回款状态")] = "已回款"
    row[header.index("合同编号")] = "HT-777"
    batch = services.upload(people.rep, xlsx([header, row]), "订单.xlsx", "orders")
    assert batch.summary["matched"] == 1 and batch.summary["new"] == 0, batch.summary["samples"]
    importer.commit(people.rep, batch, {})
    order.refresh_from_db()
    assert order.number == "HT-777" and order.collection == Order.Collection.PAID
    assert order.collected_amount == Decimal("12000.00") and order.lines.count() == 1
    assert Order.objects.count() == 1
    importer.undo(people.director, batch)  # an update batch restores the stored values
    order.refresh_from_db()
    assert order.number == "" and order.collection == Order.Collection.UNPAID


def test_undo_is_refused_when_an_imported_order_changed_since(people, book, erp):
    rows = [HEADER, [book["rep"].name, date(2025, 3, 1), "", "ERP 标准版", 1, None, None, "", ""]]
    batch = services.upload(people.rep, xlsx(rows), "o.xlsx", "orders")
    batch = importer.commit(people.rep, batch, {})
    sales.record_collection(people.rep, Order.objects.get(), "100")
    with pytest.raises(ImportRefused):
        importer.undo(people.director, batch)
    assert Order.objects.count() == 1
