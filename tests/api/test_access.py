"""The API enforces the pages' access rules (tests/accounts/test_access_matrix.py): each role
lists and opens exactly the customers it sees in the pages, and their contacts, deals,
interactions, follow-ups and orders; anything else is a 404, and writes follow the services."""

import pytest

from kehu.customers.models import Customer
from tests.accounts.test_access_matrix import EVERYONE, MATRIX

# list endpoint → (kind in the `world` fixture, detail path)
RELATED = {
    "contacts": ("contact", "/api/v1/contacts/{}"),
    "deals": ("deal", "/api/v1/deals/{}"),
    "interactions": ("interaction", "/api/v1/interactions/{}"),
    "followups": ("followup", "/api/v1/followups/{}"),
    "orders": ("order", "/api/v1/orders/{}"),
}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("role", MATRIX)
def test_each_role_lists_and_opens_exactly_its_customers(people, book, api, role):
    client = api(getattr(people, role))
    sees, _changes = MATRIX[role]
    assert ids(client.get("/api/v1/customers?limit=100")) == {book[k].pk for k in sees}
    for key, customer in book.items():
        for path in ("", "/tier", "/contacts"):
            response = client.get(f"/api/v1/customers/{customer.pk}{path}")
            assert response.status_code == (200 if key in sees else 404), (key, path)
            if key not in sees:
                assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", MATRIX)
def test_each_role_lists_and_opens_exactly_the_records_of_its_customers(people, world, api, role):
    client = api(getattr(people, role))
    sees, _changes = MATRIX[role]
    for endpoint, (kind, detail) in RELATED.items():
        listed = ids(client.get(f"/api/v1/{endpoint}?limit=100"))
        assert listed == {world[k][kind].pk for k in sees}, endpoint
        for key in EVERYONE:
            status = client.get(detail.format(world[key][kind].pk)).status_code
            assert status == (200 if key in sees else 404), (endpoint, key)


def test_rep_filtering_by_another_reps_customer_gets_nothing(people, world, api):
    client = api(people.rep)
    theirs = world["rep2"]["customer"].pk
    for endpoint in RELATED:
        assert ids(client.get(f"/api/v1/{endpoint}?customer={theirs}")) == set(), endpoint
    assert ids(client.get(f"/api/v1/customers?owner={people.rep2.pk}")) == {
        world["shared"]["customer"].pk
    }


def test_anonymous_gets_401_json_everywhere(world, api):
    client = api(None)
    for path in ["/api/v1/customers", "/api/v1/me", "/api/v1/tiers", "/api/v1/stages"]:
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert response["WWW-Authenticate"] == "Bearer"
    response = client.post("/api/v1/customers", {"name": "匿名"}, content_type="application/json")
    assert response.status_code == 401
    assert not Customer.objects.filter(name="匿名").exists()


@pytest.mark.parametrize("role", MATRIX)
def test_writes_outside_the_actors_customers_are_refused(people, world, api, role):
    client = api(getattr(people, role))
    sees, changes = MATRIX[role]
    for key in EVERYONE - changes:
        w = world[key]
        customer = w["customer"]
        expected = 404 if key not in sees else None  # visible, not theirs: the service refuses
        writes = [
            client.patch(
                f"/api/v1/customers/{customer.pk}",
                {"notes": "不该写入", "version": customer.version},
                content_type="application/json",
            ),
            client.post(
                f"/api/v1/customers/{customer.pk}/contacts",
                {"name": "不该写入"},
                content_type="application/json",
            ),
            client.post(
                "/api/v1/interactions",
                {"customer": customer.pk, "method": "phone", "content": "不该写入"},
                content_type="application/json",
            ),
            client.post(
                "/api/v1/deals",
                {"customer": customer.pk, "title": "不该写入"},
                content_type="application/json",
            ),
            client.post(
                "/api/v1/orders",
                {
                    "customer": customer.pk,
                    "order_date": "2026-11-02",
                    "lines": [{"description": "不该写入"}],
                },
                content_type="application/json",
            ),
        ]
        for response in writes:
            assert response.status_code in ((expected,) if expected else (403, 404)), key
            assert set(response.json()) == {"code", "message"}
    assert not Customer.objects.filter(notes="不该写入").exists()
    assert "不该写入" not in str(Customer.objects.values_list("search_text", flat=True))


def test_viewer_reads_everything_and_writes_nothing(people, world, api):
    client = api(people.viewer)
    assert len(ids(client.get("/api/v1/customers"))) == len(EVERYONE)
    response = client.post("/api/v1/customers", {"name": "只读"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    deal = world["rep"]["deal"]
    stage = client.get("/api/v1/stages").json()[-1]["id"]
    response = client.post(
        f"/api/v1/deals/{deal.pk}/stage", {"stage": stage}, content_type="application/json"
    )
    assert response.status_code == 404  # as the board: not theirs to change


def test_rep_moves_own_deal_but_not_another_reps(people, world, api):
    client = api(people.rep)
    stages = client.get("/api/v1/stages").json()
    second = next(s for s in stages if s["kind"] == "open" and s["position"] == 1)
    mine, theirs = world["rep"]["deal"], world["rep2"]["deal"]
    response = client.post(
        f"/api/v1/deals/{mine.pk}/stage", {"stage": second["id"]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["stage_id"] == second["id"]
    assert response.json()["probability"] == second["probability"]
    response = client.post(
        f"/api/v1/deals/{theirs.pk}/stage", {"stage": second["id"]}, content_type="application/json"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.stage_id != second["id"]
