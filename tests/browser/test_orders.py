"""A rep records an order with two lines from the customer page, sees the purchases panel and
its chart, then records the collection, in a real browser."""

import pytest

from kehu.sales import services
from kehu.sales.models import Order

from .test_customer_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_records_an_order_and_its_collection(page, live_server, people):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    erp = services.save_product(
        people.director, {"name": "ERP 标准版", "unit_price": "12000", "unit_cost": "4000"}
    )
    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click("[data-testid=new-order]")
    page.select_option("select[name=line-0-product]", str(erp.pk))
    page.fill("input[name=line-0-quantity]", "2")
    page.fill("input[name=line-1-description]", "实施服务")
    page.fill("input[name=line-1-quantity]", "1")
    page.fill("input[name=line-1-unit_price]", "6,000")
    page.click("[data-testid=order-form] button.btn-primary")
    page.wait_for_url(lambda url: "/new/" not in url)
    page.wait_for_selector("[data-testid=order-amount]")
    assert page.inner_text("[data-testid=order-amount]") == "30,000.00"
    assert page.inner_text("[data-testid=collection]") == "未回款"

    page.fill("[data-testid=collect-form] input[name=amount]", "30000")
    page.click("[data-testid=collect-form] button")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=collection]').textContent === '已回款'"
    )
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert page.inner_text("[data-testid=purchase-total]") == "30,000.00"
    # the 24-month chart is drawn (ECharts served locally, no CDN)
    page.wait_for_selector("[data-chart=purchase-chart] canvas")
    order = Order.objects.get(customer=customer)
    assert order.collection == Order.Collection.PAID and order.lines.count() == 2
