from datetime import date

import pytest

from kehu.sales import services as sales

# a year's plan as the edit form posts it
TARGETS = {
    "new_customers": "4",
    "revenue": "120000",
    "repurchase_rate": "40",
    "churn_rate": "10",
    "satisfaction": "4.5",
}


@pytest.fixture
def sold(people, book):
    """2026: 张伟 (rep) sells 30,000 to one new customer over two orders (March, September);
    赵磊 (rep2) 10,000 in April."""
    erp = sales.save_product(people.director, {"name": "ERP", "unit_price": "10000"})
    line = [{"product": erp.pk, "quantity": 1}]
    sales.create_order(people.rep, book["rep"], {"order_date": date(2026, 3, 5)}, line)
    sales.create_order(
        people.rep,
        book["rep"],
        {"order_date": date(2026, 9, 1)},
        [{"product": erp.pk, "quantity": 2}],
    )
    sales.create_order(people.rep2, book["rep2"], {"order_date": date(2026, 4, 1)}, line)
    return erp
