"""Cursor pages: walking next_cursor visits every row once; a page costs the same number of
queries whatever its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer


@pytest.fixture
def many(people):
    made = [people.customer(people.rep, f"测试客户{i:02d}有限公司") for i in range(23)]
    # equal update times: the id breaks the tie
    Customer.objects.filter(pk__in=[c.pk for c in made[:10]]).update(updated_at=made[0].updated_at)
    return made


def walk(client, path, limit):
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_walking_the_customer_pages_visits_each_once(people, many, api):
    seen, pages = walk(api(people.rep), "/api/v1/customers", 4)
    assert sorted(seen) == sorted(c.pk for c in many)
    assert len(seen) == len(set(seen))
    assert pages == 6


def test_walking_other_lists(people, world, api):
    client = api(people.director)
    for path in ["/api/v1/deals", "/api/v1/orders", "/api/v1/contacts", "/api/v1/interactions"]:
        seen, _pages = walk(client, path, 2)
        assert len(seen) == len(set(seen)) == 6, path


def test_a_bad_cursor_is_a_422_naming_it(people, api):
    response = api(people.rep).get("/api/v1/customers?cursor=not-a-cursor")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


def test_limit_is_at_most_100(people, api):
    response = api(people.rep).get("/api/v1/customers?limit=101")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["limit"]


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "endpoint",
    ["customers", "contacts", "deals", "interactions", "followups", "orders", "targets", "tags"],
)
def test_a_list_page_costs_the_same_queries_whatever_its_size(
    people, world, many, api, endpoint, django_assert_max_num_queries
):
    client = api(people.manager)
    client.get("/api/v1/me")  # the token's first use is recorded once
    small = queries_of(client, f"/api/v1/{endpoint}?limit=1")
    large = queries_of(client, f"/api/v1/{endpoint}?limit=100")
    assert small == large
    with django_assert_max_num_queries(6):
        client.get(f"/api/v1/{endpoint}?limit=100")
