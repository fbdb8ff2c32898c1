"""Cross-sell: products bought by the customers who bought the same products, that this
customer has not bought yet, strongest share first (from the table rebuilt nightly)."""

from datetime import date

import pytest
from django.http import Http404

from kehu.sales import queries, services
from kehu.sales.models import ProductBuyers

from .conftest import buy

DAY = date(2024, 3, 1)


@pytest.fixture
def baskets(people, catalogue):
    """What five customers bought (ERP 5 buyers, CRM 3, 实施 3, 培训 1):

    c1 ERP CRM · c2 ERP CRM 实施 · c3 ERP 实施 · c4 ERP · c5 ERP CRM · c6 实施 培训
    """
    erp, crm, setup, training = (catalogue[k] for k in ("erp", "crm", "setup", "training"))
    bought = {
        "c1": [erp, crm],
        "c2": [erp, crm, setup],
        "c3": [erp, setup],
        "c4": [erp],
        "c5": [erp, crm],
        "c6": [setup, training],
    }
    owners = [people.rep, people.rep2, people.rep3]
    customers = {}
    for i, (name, products) in enumerate(bought.items()):
        owner = owners[i % 3]
        customers[name] = people.customer(owner, name)
        for product in products:
            buy(owner, customers[name], DAY, "100.00", product=product)
    buy(people.rep2, customers["c2"], DAY, "100.00", product=erp)  # twice: still one buyer
    return customers


def suggested(actor, customer) -> list[tuple]:
    return [
        (s.product.name, s.share, s.because.name, s.customers)
        for s in queries.cross_sell(actor, customer)
    ]


def test_the_nightly_table_counts_buyers_and_co_buyers(baskets, catalogue):
    # ERP+CRM, ERP+实施, CRM+实施, 实施+培训, each both ways
    assert services.rebuild_pairs() == 8
    buyers = dict(ProductBuyers.objects.values_list("product__name", "customers"))
    assert buyers == {"ERP 标准版": 5, "CRM 专业版": 3, "上门实施": 3, "培训课程": 1}


def test_a_customer_is_offered_what_buyers_of_the_same_products_also_bought(people, baskets):
    services.rebuild_pairs()
    # of ERP's 5 buyers, 3 bought CRM and 2 实施
    assert suggested(people.rep, baskets["c4"]) == [
        ("CRM 专业版", 60.0, "ERP 标准版", 3),
        ("上门实施", 40.0, "ERP 标准版", 2),
    ]


def test_each_product_is_offered_once_for_its_strongest_reason(people, baskets):
    services.rebuild_pairs()
    # c3 has ERP and 实施: CRM through ERP (3 of 5) beats CRM through 实施 (1 of 3);
    # 培训 only through 实施 (1 of 3)
    assert suggested(people.rep3, baskets["c3"]) == [
        ("CRM 专业版", 60.0, "ERP 标准版", 3),
        ("培训课程", 33.3, "上门实施", 1),
    ]


def test_what_the_customer_already_bought_is_not_offered(people, baskets):
    services.rebuild_pairs()
    assert suggested(people.rep2, baskets["c2"]) == [("培训课程", 33.3, "上门实施", 1)]


def test_a_product_no_longer_on_sale_is_not_offered(people, baskets, catalogue):
    crm = catalogue["crm"]
    services.save_product(
        people.director,
        {
            "name": crm.name,
            "unit_price": crm.unit_price,
            "unit_cost": crm.unit_cost,
            "active": False,
        },
        crm,
    )
    services.rebuild_pairs()
    assert suggested(people.rep, baskets["c4"]) == [("上门实施", 40.0, "ERP 标准版", 2)]


def test_nothing_is_offered_to_a_customer_without_orders(people, baskets):
    services.rebuild_pairs()
    fresh = people.customer(people.rep, "杭州西溪茶业")
    assert queries.cross_sell(people.rep, fresh) == []
    # nor to one whose orders name no product
    buy(people.rep, fresh, DAY, "50.00")
    assert queries.cross_sell(people.rep, fresh) == []


def test_new_purchases_count_once_the_table_is_rebuilt(people, baskets, catalogue):
    services.rebuild_pairs()
    buy(people.rep, baskets["c4"], DAY, "100.00", product=catalogue["training"])
    # until the rebuild the table knows 培训 by its one buyer, c6, who also bought 实施
    assert suggested(people.rep, baskets["c4"]) == [
        ("上门实施", 100.0, "培训课程", 1),
        ("CRM 专业版", 60.0, "ERP 标准版", 3),
    ]
    services.rebuild_pairs()
    # ERP now has the same 5 buyers; 培训 has 2 (c4, c6), one of whom (c6) bought 实施
    assert suggested(people.rep, baskets["c4"]) == [
        ("CRM 专业版", 60.0, "ERP 标准版", 3),
        ("上门实施", 50.0, "培训课程", 1),
    ]


def test_rep_cannot_ask_for_suggestions_about_another_reps_customer(people, baskets):
    services.rebuild_pairs()
    with pytest.raises(Http404):
        queries.cross_sell(people.rep, baskets["c2"])  # 赵磊's
