"""A rep who guesses another rep's customer URL gets 404 and changes nothing; lists and search
never show other people's customers."""

from datetime import date

import pytest

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Contact, Customer


@pytest.fixture
def theirs(people, book):
    """赵磊's (rep2) customer with a contact, which 张伟 (rep) must not reach."""
    customer = book["rep2"]
    contact = services.add_contact(people.rep2, customer, {"name": "刘洋", "phone": "13900001111"})
    customer.refresh_from_db()
    return customer, contact


def unchanged(customer, contact):
    fresh = Customer.objects.get(pk=customer.pk)
    return (
        fresh.version == customer.version
        and fresh.name == customer.name
        and Contact.objects.filter(pk=contact.pk, name="刘洋").exists()
    )


@pytest.mark.parametrize("path", ["", "edit/", "merge/", "contacts/new/", "contacts/{contact}/"])
def test_rep_guessing_another_reps_customer_url_gets_404(people, book, theirs, login, path):
    customer, contact = theirs
    client = login(people.rep)
    assert (
        client.get(f"/customers/{customer.pk}/{path.format(contact=contact.pk)}").status_code == 404
    )
    mine = book["rep"]
    own_contact = services.add_contact(people.rep, mine, {"name": "王芳"})
    assert (
        client.get(f"/customers/{mine.pk}/{path.format(contact=own_contact.pk)}").status_code == 200
    )


def test_rep_cannot_post_to_another_reps_customer(people, book, theirs, login):
    customer, contact = theirs
    client = login(people.rep)
    base = f"/customers/{customer.pk}"
    events = AuditEvent.objects.count()
    posts = [
        (f"{base}/edit/", {"name": "改名", "kind": "company", "status": "lead", "version": 1}),
        (f"{base}/merge/", {"other": book["rep"].pk}),
        (f"{base}/contacts/new/", {"name": "新联系人"}),
        (f"{base}/contacts/{contact.pk}/", {"name": "改名"}),
        (f"{base}/contacts/{contact.pk}/delete/", {}),
        (f"/followups/customers/{customer.pk}/log/", {"method": "phone", "content": "越权"}),
        (f"/followups/customers/{customer.pk}/plan/", {"due_on": "2030-01-07", "method": "phone"}),
        (f"/followups/customers/{customer.pk}/release/", {"reason": "越权"}),
        (f"/tiering/customers/{customer.pk}/propose/", {"to_tier": "A", "reason": "越权"}),
        (
            f"/sales/orders/new/{customer.pk}/",
            {"order_date": "2026-11-02", "line-0-description": "越权", "line-0-quantity": "1"},
        ),
        (f"/sales/answers/new/{customer.pk}/", {"kind": "csat", "score": "1"}),
        (
            f"/sales/feedback/new/{customer.pk}/",
            {"kind": "complaint", "category": "other", "severity": "2", "summary": "越权"},
        ),
        (f"/sales/winback/{customer.pk}/", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert unchanged(customer, contact)
    assert AuditEvent.objects.count() == events


def test_rep_cannot_merge_another_reps_customer_into_their_own(people, book, theirs, login):
    customer, contact = theirs
    client = login(people.rep)
    mine = book["rep"]
    assert client.get(f"/customers/{mine.pk}/merge/", {"other": customer.pk}).status_code == 404
    assert client.post(f"/customers/{mine.pk}/merge/", {"other": customer.pk}).status_code == 404
    assert unchanged(customer, contact)


def test_rep_cannot_reach_another_reps_contact_through_their_own_customer(
    people, book, theirs, login
):
    _customer, contact = theirs
    mine = book["rep"]
    client = login(people.rep)
    assert client.get(f"/customers/{mine.pk}/contacts/{contact.pk}/").status_code == 404
    assert client.post(f"/customers/{mine.pk}/contacts/{contact.pk}/delete/").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_manager_gets_404_outside_their_subtree(people, book, login):
    client = login(people.manager)
    assert client.get(f"/customers/{book['rep3'].pk}/").status_code == 200
    assert client.get(f"/customers/{book['rep2'].pk}/").status_code == 404
    assert client.get(f"/customers/{book['rep2'].pk}/edit/").status_code == 404


def test_a_customer_number_that_does_not_exist_is_404(people, login):
    assert login(people.director).get("/customers/999999/").status_code == 404


def test_list_page_never_shows_other_reps_customers(people, book, login):
    body = login(people.rep).get("/customers/", {"size": 200}).content.decode()
    assert book["rep"].name in body and book["shared"].name in body
    for key in ("rep2", "rep3", "manager", "director"):
        assert book[key].name not in body


@pytest.mark.parametrize("q", ["xingchen", "星辰", "xcwl", "haina", "博远"])
def test_search_never_finds_other_reps_customers(people, book, login, q):
    response = login(people.rep).get("/customers/", {"q": q})
    assert response.context["page"].rows == []


def test_filters_never_widen_what_a_rep_sees(people, book, login):
    client = login(people.rep)
    for params in (
        {"owner": people.rep2.pk},
        {"team": people.beijing.pk},
        {"team": people.sales.pk},
    ):
        shown = {c.pk for c in client.get("/customers/", params).context["page"].rows}
        assert shown <= {book["rep"].pk, book["shared"].pk}, params


def test_rep_cannot_reach_another_reps_orders_or_complaints(people, book, theirs, login):
    from kehu.sales import services as sales

    customer, _contact = theirs
    order = sales.create_order(
        people.rep2,
        customer,
        {"order_date": date(2026, 11, 2)},
        [{"description": "服务", "quantity": 1, "unit_price": "100"}],
    )
    item = sales.open_feedback(
        people.rep2, customer, {"category": "other", "summary": "投诉", "kind": "complaint"}
    )
    client = login(people.rep)
    for url in (
        f"/sales/orders/{order.pk}/",
        f"/sales/orders/{order.pk}/edit/",
        f"/sales/feedback/{item.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/sales/orders/{order.pk}/collect/", {"amount": "100"}),
        (f"/sales/orders/{order.pk}/delete/", {}),
        (f"/sales/feedback/{item.pk}/", {"status": "closed", "resolution": "越权"}),
    ):
        assert client.post(url, data).status_code == 404, url
    order.refresh_from_db()
    item.refresh_from_db()
    assert order.collected_amount == 0 and item.is_open
    assert order.pk not in [o.pk for o in client.get("/sales/orders/").context["orders"]]
    assert item.pk not in [f.pk for f in client.get("/sales/feedback/").context["items"]]
