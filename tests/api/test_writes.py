"""Writes go through the services: the same rules, the same messages, as JSON."""

from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.followups.models import FollowUp, Interaction
from kehu.pipeline.models import Deal, StageChange
from kehu.sales.models import Order


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def test_rep_creates_a_customer_they_own_audited(people, api):
    response = post(
        api(people.rep),
        "/api/v1/customers",
        {"name": " 杭州新锐科技有限公司 ", "tags": [people.urgent.pk], "owner": people.rep2.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert body["name"] == customer.name == "杭州新锐科技有限公司"
    assert customer.owner == people.rep  # a rep always owns what they create
    assert [t["name"] for t in body["tags"]] == ["需求急迫"]
    assert AuditEvent.objects.filter(customer_id=customer.pk, action="create").exists()


def test_rep_cannot_set_a_tier_through_the_api(people, book, api):
    client, customer = api(people.rep), book["rep"]
    for response in (
        post(client, "/api/v1/customers", {"name": "想要A级的客户", "tier": "A"}),
        patch(client, f"/api/v1/customers/{customer.pk}", {"tier": "A", "version": 1}),
    ):
        assert response.status_code == 422
        assert response.json()["code"] == "invalid"
        assert list(response.json()["errors"]) == ["tier"]
    customer.refresh_from_db()
    assert customer.tier == ""
    assert not Customer.objects.filter(name="想要A级的客户").exists()


def test_director_may_set_a_tier(people, book, api):
    customer = book["rep"]
    response = patch(
        api(people.director), f"/api/v1/customers/{customer.pk}", {"tier": "a", "version": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json()["tier"] == "A"


def test_a_stale_version_is_a_409_and_writes_nothing(people, book, api):
    client, customer = api(people.rep), book["rep"]
    first = patch(client, f"/api/v1/customers/{customer.pk}", {"notes": "先到", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    late = patch(client, f"/api/v1/customers/{customer.pk}", {"notes": "后到", "version": 1})
    assert late.status_code == 409
    assert late.json()["code"] == "stale"
    assert "张伟" in late.json()["message"]  # who saved in between, as the page says
    customer.refresh_from_db()
    assert customer.notes == "先到"
    # only the fields sent change
    assert (
        patch(client, f"/api/v1/customers/{customer.pk}", {"version": 2}).json()["notes"] == "先到"
    )


def test_patch_needs_the_version(people, book, api):
    response = patch(api(people.rep), f"/api/v1/customers/{book['rep'].pk}", {"notes": "x"})
    assert response.status_code == 422
    assert "version" in response.json()["errors"]


def test_validation_errors_name_the_field(people, book, api):
    client, customer = api(people.rep), book["rep"]
    cases = [
        ("/api/v1/customers", {"name": ""}, "name"),
        ("/api/v1/customers", {"name": "某公司", "status": "vip"}, "status"),
        ("/api/v1/customers", {"name": "某公司", "industry": 999999}, "industry"),
        ("/api/v1/customers", {"name": 5}, "name"),
        (f"/api/v1/customers/{customer.pk}/contacts", {"name": "王芳", "phone": "abc"}, "phone"),
        (f"/api/v1/customers/{customer.pk}/contacts", {"name": "王芳", "email": "x@"}, "email"),
        (
            "/api/v1/interactions",
            {"customer": customer.pk, "method": "fax", "content": "x"},
            "method",
        ),
        (
            "/api/v1/interactions",
            {"customer": customer.pk, "method": "phone", "content": " "},
            "content",
        ),
        ("/api/v1/deals", {"customer": customer.pk, "title": ""}, "title"),
        (
            "/api/v1/orders",
            {"customer": customer.pk, "order_date": "2026-11-02", "lines": []},
            "lines",
        ),
        (
            "/api/v1/orders",
            {"customer": customer.pk, "order_date": "2026-11-02", "lines": [{"quantity": 0}]},
            "lines.0.quantity",
        ),
        (
            "/api/v1/orders",
            {"customer": customer.pk, "lines": [{"description": "x"}]},
            "order_date",
        ),
    ]
    for path, data, field in cases:
        response = post(client, path, data)
        assert response.status_code == 422, (path, data, response.content)
        body = response.json()
        assert body["code"] == "invalid" and body["message"]
        assert field in body["errors"], (data, body)
    assert not Contact.objects.exists()
    assert not Interaction.objects.exists()
    assert not Order.objects.exists()


def test_logging_an_interaction_completes_the_planned_follow_up(people, book, api):
    from django.utils import timezone

    from kehu.followups.services import plan_followup

    customer = book["rep"]
    planned = plan_followup(
        people.rep, customer, due_on=timezone.localdate(), method="phone", content="回访"
    )
    response = post(
        api(people.rep),
        "/api/v1/interactions",
        {"customer": customer.pk, "method": "phone", "content": "聊了新需求"},
    )
    assert response.status_code == 201, response.content
    planned.refresh_from_db()
    assert planned.status == FollowUp.Status.DONE
    assert planned.interaction_id == response.json()["id"]
    customer.refresh_from_db()
    assert customer.last_contact_at is not None


def test_deal_created_and_won_makes_the_customer_a_customer(people, book, api):
    client, customer = api(people.rep), book["rep"]
    response = post(
        client, "/api/v1/deals", {"customer": customer.pk, "title": "年度采购", "amount": "8000.50"}
    )
    assert response.status_code == 201, response.content
    deal = Deal.objects.get(pk=response.json()["id"])
    assert response.json()["amount"] == "8000.50"
    stages = {s["kind"]: s for s in client.get("/api/v1/stages").json()}
    lost = post(client, f"/api/v1/deals/{deal.pk}/stage", {"stage": stages["lost"]["id"]})
    assert lost.status_code == 422
    assert list(lost.json()["errors"]) == ["lost_reason"]
    won = post(client, f"/api/v1/deals/{deal.pk}/stage", {"stage": stages["won"]["id"]})
    assert won.status_code == 200
    assert StageChange.objects.filter(deal=deal).count() == 2
    customer.refresh_from_db()
    assert customer.status == Customer.Status.CUSTOMER


def test_order_updates_the_customers_purchase_totals(people, book, api):
    client, customer = api(people.rep), book["rep"]
    response = post(
        client,
        "/api/v1/orders",
        {
            "customer": customer.pk,
            "order_date": "2026-11-02",
            "collected_amount": "100",
            "lines": [{"description": "实施服务", "quantity": "2", "unit_price": "150.00"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "300.00"
    assert body["collection"] == "partial"
    assert [line["amount"] for line in body["lines"]] == ["300.00"]
    customer.refresh_from_db()
    assert customer.purchase_total == 300
    too_much = post(
        client,
        "/api/v1/orders",
        {
            "customer": customer.pk,
            "order_date": "2026-11-02",
            "lines": [{"description": "x", "quantity": "99999999", "unit_price": "9999999999"}],
        },
    )
    assert too_much.status_code == 422
    assert list(too_much.json()["errors"]) == ["lines"]


def test_errors_are_in_the_token_owners_language(people, api):
    people.rep.language = "en"
    people.rep.save()
    response = post(api(people.rep), "/api/v1/customers", {"name": ""})
    assert response.json()["errors"]["name"][0] == "Enter the customer name."
    response = post(api(people.rep2), "/api/v1/customers", {"name": ""})
    assert response.json()["errors"]["name"][0] != "Enter the customer name."  # 中文
