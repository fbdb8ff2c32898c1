"""The purchase, satisfaction and complaint pages as people use them: forms post to the
services, lists show only what the person may see, exports carry the same rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.pipeline import services as pipeline_services
from kehu.pipeline.models import Stage
from kehu.sales import services
from kehu.sales.models import Feedback, Order, Product


@pytest.fixture
def erp(people):
    return services.save_product(
        people.director,
        {"name": "ERP 标准版", "unit_price": "12000", "unit_cost": "4000", "category": "软件"},
    )


def _order(actor, customer, product, day, quantity=1):
    return services.create_order(
        actor, customer, {"order_date": day}, [{"product": product.pk, "quantity": quantity}]
    )


def test_rep_records_an_order_with_lines_from_the_customer_page(people, book, erp, login):
    client = login(people.rep)
    customer = book["rep"]
    page = client.get(reverse("customers:detail", args=[customer.pk]))
    assert page.status_code == 200 and b'data-testid="new-order"' in page.content
    response = client.post(
        reverse("sales:order-new", args=[customer.pk]),
        {
            "order_date": "2026-11-20",
            "owner": people.rep.pk,
            "line-0-product": erp.pk,
            "line-0-quantity": "2",
            "line-1-description": "实施服务",
            "line-1-quantity": "3",
            "line-1-unit_price": "1,500.50",
        },
    )
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == reverse("sales:order", args=[order.pk])
    assert order.amount == Decimal("28501.50") and order.margin == Decimal("20501.50")
    customer.refresh_from_db()
    assert customer.purchase_total == Decimal("28501.50") and customer.purchase_count == 1
    assert customer.status == Customer.Status.CUSTOMER
    detail = client.get(reverse("customers:detail", args=[customer.pk]))
    assert "28,501.50" in detail.content.decode()


def test_an_order_form_with_a_bad_line_names_the_line_and_saves_nothing(people, book, login):
    client = login(people.rep)
    response = client.post(
        reverse("sales:order-new", args=[book["rep"].pk]),
        {"order_date": "2026-11-20", "line-0-description": "服务", "line-0-quantity": "0"},
    )
    assert response.status_code == 200
    assert "line 1" in response.content.decode() or "第" in response.content.decode()
    assert not Order.objects.exists()


def test_rep_cannot_open_or_add_orders_of_another_reps_customer(people, book, erp, login):
    order = _order(people.rep2, book["rep2"], erp, date(2026, 5, 1))
    client = login(people.rep)
    assert client.get(reverse("sales:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("sales:order-new", args=[book["rep2"].pk])).status_code == 404
    listed = client.get(reverse("sales:orders"))
    assert order not in listed.context["orders"]
    sheet = client.get(reverse("sales:orders") + "?format=csv")
    assert "北京星辰" not in b"".join(sheet.streaming_content).decode("utf-8-sig")


def test_collection_moves_from_partly_to_fully_collected(people, book, erp, login):
    order = _order(people.rep, book["rep"], erp, date(2026, 6, 1))
    client = login(people.rep)
    client.post(reverse("sales:order-collect", args=[order.pk]), {"amount": "5000"})
    order.refresh_from_db()
    assert order.collection == Order.Collection.PARTIAL
    client.post(reverse("sales:order-collect", args=[order.pk]), {"amount": "7000"})
    order.refresh_from_db()
    assert order.collection == Order.Collection.PAID and order.collected_amount == Decimal("12000")


def test_a_won_deal_becomes_an_order_in_one_step(people, book, login):
    pipeline_services.ensure_default_stages()
    won = Stage.objects.get(kind=Stage.Kind.WON)
    deal = pipeline_services.create_deal(
        people.rep, book["rep"], {"title": "ERP 升级", "amount": Decimal("80000"), "stage": won}
    )
    client = login(people.rep)
    detail = client.get(reverse("pipeline:detail", args=[deal.pk]))
    assert b'data-testid="make-order"' in detail.content
    form = client.get(reverse("sales:order-from-deal", args=[deal.pk]))
    assert "ERP 升级" in form.content.decode()
    client.post(
        reverse("sales:order-from-deal", args=[deal.pk]),
        {
            "order_date": timezone.localdate().isoformat(),
            "owner": people.rep.pk,
            "line-0-description": "ERP 升级",
            "line-0-quantity": "1",
            "line-0-unit_price": "80000",
        },
    )
    order = Order.objects.get(deal=deal)
    assert order.amount == Decimal("80000.00")
    again = client.get(reverse("sales:order-from-deal", args=[deal.pk]))
    assert again.status_code == 302 and again.url == reverse("sales:order", args=[order.pk])


def test_only_directors_edit_products(people, erp, login):
    assert (
        b'data-testid="product-form"'
        not in login(people.rep).get(reverse("sales:products")).content
    )
    assert login(people.rep).post(reverse("sales:products"), {"name": "x"}).status_code == 404
    client = login(people.director)
    client.post(
        reverse("sales:products"),
        {
            "name": "CRM 专业版",
            "unit_price": "8000",
            "unit_cost": "1000",
            "active": "on",
            "category_name": "软件",
        },
    )
    assert Product.objects.get(name="CRM 专业版").category.name == "软件"


def test_satisfaction_answer_from_the_customer_page_sets_satisfaction(people, book, login):
    client = login(people.rep)
    client.post(
        reverse("sales:answer-new", args=[book["rep"].pk]),
        {"kind": "csat", "score": "4", "answered_on": timezone.localdate().isoformat()},
    )
    book["rep"].refresh_from_db()
    assert book["rep"].satisfaction == 4
    response = client.post(
        reverse("sales:answer-new", args=[book["rep"].pk]),
        {"kind": "csat", "score": "9"},
        follow=True,
    )
    assert "1" in response.content.decode() and book["rep"].survey_answers.count() == 1


def test_complaint_shows_on_the_owners_my_day_until_resolved(people, book, login):
    client = login(people.manager)
    client.post(
        reverse("sales:feedback-new", args=[book["rep"].pk]),
        {
            "kind": "complaint",
            "category": "delivery",
            "severity": "3",
            "summary": "到货延迟两周",
            "owner": people.rep.pk,
        },
    )
    item = Feedback.objects.get()
    assert item.owner == people.rep
    my_day = login(people.rep).get(reverse("followups:today"))
    assert "到货延迟两周" in my_day.content.decode()
    refused = login(people.rep).post(
        reverse("sales:feedback-detail", args=[item.pk]),
        {
            "status": "resolved",
            "severity": "3",
            "category": "delivery",
            "owner": people.rep.pk,
            "resolution": "",
            "version": item.version,
        },
    )
    assert refused.status_code == 200
    item.refresh_from_db()
    assert item.is_open
    login(people.rep).post(
        reverse("sales:feedback-detail", args=[item.pk]),
        {
            "status": "resolved",
            "severity": "3",
            "category": "delivery",
            "owner": people.rep.pk,
            "resolution": "补发并赔偿运费",
            "version": item.version,
        },
    )
    item.refresh_from_db()
    assert item.status == Feedback.Status.RESOLVED and item.resolved_at is not None
    assert "到货延迟两周" not in login(people.rep).get(reverse("followups:today")).content.decode()
    trends = login(people.director).get(reverse("sales:feedback"))
    assert trends.status_code == 200 and trends.context["by_category"][0][0] == "delivery"


def test_lifecycle_page_shows_each_figure_with_its_definition(people, book, erp, login):
    today = timezone.localdate()
    _order(people.rep, book["rep"], erp, today - timedelta(days=400))
    _order(people.rep, book["rep"], erp, today - timedelta(days=10))
    page = login(people.director).get(reverse("sales:lifecycle"))
    assert page.status_code == 200
    figures = {f.key: f for f in page.context["figures"]}
    assert figures["revenue"].value == Decimal("12000.00")
    assert figures["repurchase_rate"].value == Decimal("100.0")
    assert figures["new_customers"].value == 0
    assert all(f.definition for f in figures.values())
    # a rep sees their own figures and cannot ask for another's
    assert login(people.rep).get(reverse("sales:lifecycle")).context["scope"].user == people.rep
    other = reverse("sales:lifecycle") + f"?user={people.rep2.pk}"
    assert login(people.rep).get(other).status_code == 404


def test_churn_warnings_and_win_back_plan(people, book, erp, login, settings):
    today = timezone.localdate()
    customer = book["rep"]
    for days in (330, 250, 170):  # every 80 days; the next was due 50 days ago
        _order(people.rep, customer, erp, today - timedelta(days=days))
    page = login(people.rep).get(reverse("sales:warnings"))
    reasons = [r[0] for w in page.context["warnings"] for r in w.reasons]
    assert reasons == ["frequency"]
    Customer.objects.filter(pk=book["rep3"].pk).update(status=Customer.Status.CHURNED)
    winback = login(people.manager).get(reverse("sales:warnings") + "?tab=winback")
    assert book["rep3"] in list(winback.context["churned"])
    login(people.manager).post(reverse("sales:winback", args=[book["rep3"].pk]))
    assert book["rep3"].followups.filter(origin="winback").count() == 3
    assert (
        login(people.rep).post(reverse("sales:winback", args=[book["rep3"].pk])).status_code == 404
    )


def test_merging_a_duplicate_moves_its_orders_and_recounts_the_totals(people, book, erp):
    from kehu.customers import services as customer_services

    keep = book["rep"]
    drop = people.customer(people.rep, "杭州云帆科技股份公司")
    _order(people.rep, keep, erp, date(2026, 1, 10))
    _order(people.rep, drop, erp, date(2026, 6, 10), quantity=2)
    customer_services.merge_customers(people.rep, keep, drop)
    keep.refresh_from_db()
    assert keep.purchase_count == 2 and keep.purchase_total == Decimal("36000.00")
    assert keep.first_purchase_on == date(2026, 1, 10)
    assert keep.last_purchase_on == date(2026, 6, 10)


def test_the_command_rebuilds_totals_written_around_the_services(people, book, erp):
    from io import StringIO

    from django.core.management import call_command

    _order(people.rep, book["rep"], erp, date(2026, 3, 1))
    Customer.objects.filter(pk=book["rep"].pk).update(purchase_total=0, purchase_count=0)
    out = StringIO()
    call_command("sales", "rebuild-totals", stdout=out)
    book["rep"].refresh_from_db()
    assert book["rep"].purchase_total == Decimal("12000.00") and book["rep"].purchase_count == 1
    assert "rebuild-totals: 1" in out.getvalue()
