"""Sales data: a small catalogue, and a helper that books an order the way a person would."""

from datetime import date
from decimal import Decimal

import pytest

from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.sales import services
from kehu.sales.models import ProductCategory


@pytest.fixture
def catalogue(people):
    """Four products in two categories, with list prices and unit costs."""
    software = ProductCategory.objects.create(name="软件")
    service = ProductCategory.objects.create(name="服务")
    make = services.save_product
    director = people.director
    return {
        "erp": make(
            director,
            {
                "name": "ERP 标准版",
                "unit_price": "19.99",
                "unit_cost": "12.50",
                "category": software,
            },
        ),
        "crm": make(
            director,
            {"name": "CRM 专业版", "unit_price": "5000", "unit_cost": "1000", "category": software},
        ),
        "setup": make(
            director,
            {"name": "上门实施", "unit_price": "800", "unit_cost": "300", "category": service},
        ),
        "training": make(
            director,
            {"name": "培训课程", "unit_price": "1200", "unit_cost": "200", "category": service},
        ),
    }


def buy(actor, customer, day: date, amount="100.00", *, product=None, **data):
    """One order of one line: `amount` for one unit (of `product` if given)."""
    line = {"quantity": 1, "unit_price": amount}
    if product is not None:
        line["product"] = product.pk
    else:
        line["description"] = "货品"
    return services.create_order(actor, customer, {"order_date": day, **data}, [line])


def totals(customer) -> tuple:
    """The purchase columns as stored on the customer row."""
    row = Customer.objects.get(pk=customer.pk)
    return (
        row.purchase_total,
        row.purchase_count,
        row.purchase_margin,
        row.first_purchase_on,
        row.last_purchase_on,
        row.purchase_due_on,
    )


NONE = (Decimal("0.00"), 0, Decimal("0.00"), None, None, None)


@pytest.fixture
def history(people, catalogue):
    """Seven customers with orders from 2021 to 2024 and satisfaction answers in 2023–2024;
    the lifecycle figures of tests/sales/test_lifecycle.py are worked out by hand from them.

    A 张伟 (杭州组, tier A)  2023-03-01 1000 · 2023-09-01 2000 · 2024-02-01 1500.50 ·
                            2024-05-01 2499.50 (CRM, cost 1000)
    B 张伟 (杭州组)          2022-09-01 800 · 2023-06-01 1200          (gone quiet in 2024)
    C 陈静 (上海组, tier A)  2024-04-10 3000 (实施, cost 300)          (one order, new in 2024)
    D 赵磊 (北京组, tier B)  2021-05-01 500 · 2024-08-01 700           (churned, came back)
    E 赵磊 (北京组, tier B)  2024-03-01 400 · 2024-09-01 600           (new in 2024)
    F 李经理 (华东大区)      2023-11-01 900 · 2024-06-01 1100          (then marked churned)
    H 陈静 (上海组)          2022-01-10 300 · 2022-03-10 300           (churned in 2023)
    G 张伟 (杭州组)          no orders (a lead)

    Answers: A CSAT 4, NPS 10 · C CSAT 2, NPS 3 · E CSAT 5, NPS 9 · D NPS 8 · F NPS 9 (2024);
    B CSAT 1 (2023-12-15, outside 2024).
    """
    p = people
    c = {
        "A": p.customer(p.rep, "杭州云帆科技有限公司", tier="A"),
        "B": p.customer(p.rep, "杭州小蚂蚁文具店"),
        "C": p.customer(p.rep3, "上海海纳贸易有限公司", tier="A"),
        "D": p.customer(p.rep2, "北京星辰网络科技有限公司", tier="B"),
        "E": p.customer(p.rep2, "天津华信物流有限公司", tier="B"),
        "F": p.customer(p.manager, "宁波金桥精密制造有限公司"),
        "H": p.customer(p.rep3, "苏州明达五金厂"),
        "G": p.customer(p.rep, "杭州西溪茶业"),
    }
    d = date
    orders = [
        ("A", d(2023, 3, 1), "1000.00", None),
        ("A", d(2023, 9, 1), "2000.00", None),
        ("A", d(2024, 2, 1), "1500.50", None),
        ("A", d(2024, 5, 1), "2499.50", catalogue["crm"]),
        ("B", d(2022, 9, 1), "800.00", None),
        ("B", d(2023, 6, 1), "1200.00", None),
        ("C", d(2024, 4, 10), "3000.00", catalogue["setup"]),
        ("D", d(2021, 5, 1), "500.00", None),
        ("D", d(2024, 8, 1), "700.00", None),
        ("E", d(2024, 3, 1), "400.00", None),
        ("E", d(2024, 9, 1), "600.00", None),
        ("F", d(2023, 11, 1), "900.00", None),
        ("F", d(2024, 6, 1), "1100.00", None),
        ("H", d(2022, 1, 10), "300.00", None),
        ("H", d(2022, 3, 10), "300.00", None),
    ]
    for key, day, amount, product in orders:
        buy(c[key].owner, c[key], day, amount, product=product)
    answers = [
        ("A", "csat", 4, d(2024, 3, 1)),
        ("A", "nps", 10, d(2024, 3, 1)),
        ("C", "csat", 2, d(2024, 5, 1)),
        ("C", "nps", 3, d(2024, 5, 1)),
        ("E", "csat", 5, d(2024, 10, 1)),
        ("E", "nps", 9, d(2024, 10, 1)),
        ("D", "nps", 8, d(2024, 9, 1)),
        ("F", "nps", 9, d(2024, 7, 1)),
        ("B", "csat", 1, d(2023, 12, 15)),
    ]
    for key, kind, score, day in answers:
        services.record_answer(
            c[key].owner, c[key], {"kind": kind, "score": score, "answered_on": day}
        )
    customer_services.bulk_set_status(p.manager, [c["F"].pk], Customer.Status.CHURNED)
    for customer in c.values():
        customer.refresh_from_db()
    return c


@pytest.fixture
def churn_settings(settings):
    """The churn and satisfaction rules the churn warning tests are written against."""
    settings.KEHU_CHURN_DAYS = 365
    settings.KEHU_CHURN_MARKED = True
    settings.KEHU_LOW_CSAT = 2
    settings.KEHU_SATISFACTION_WINDOW_DAYS = 180
