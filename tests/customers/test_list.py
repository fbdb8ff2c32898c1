from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Customer, SavedView
from kehu.customers.queries import COLUMNS


@pytest.fixture
def many(people):
    made = []
    for i in range(30):
        c = people.customer(
            people.rep,
            f"杭州测试{i:02d}科技有限公司",
            tier="ABC"[i % 3],
            status=["lead", "prospect", "customer"][i % 3],
        )
        services.add_contact(people.rep, c, {"name": f"联系人{i}", "phone": f"138000000{i:02d}"})
        services.set_tags(people.rep, c, [people.urgent] if i % 2 else [people.price])
        made.append(c)
    return made


def names_on(response):
    return [c.name for c in response.context["page"].rows]


def query_count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/customers/", params).status_code == 200
    return len(ctx.captured_queries)


def test_list_runs_the_same_number_of_queries_whatever_the_page_size(people, many, login):
    client = login(people.rep)
    cols = "name,tier,tags,contact,phone,owner,team,industry,channel"
    small = query_count(client, {"size": 5, "cols": cols})
    large = query_count(client, {"size": 30, "cols": cols})
    assert small == large
    assert large <= 16


@pytest.mark.parametrize("key", [k for k, c in COLUMNS.items() if c.sort])
def test_every_sortable_column_sorts_both_ways(people, many, login, key):
    client = login(people.rep)
    up = names_on(client.get("/customers/", {"sort": key, "size": 100}))
    down = names_on(client.get("/customers/", {"sort": f"-{key}", "size": 100}))
    assert sorted(up) == sorted(down) == sorted(c.name for c in many)


def test_sort_by_name_is_pinyin_order(people, login):
    for name in ["张家港钢铁有限公司", "安徽建工集团有限公司", "北京星辰科技有限公司"]:
        people.customer(people.rep, name)
    rows = names_on(login(people.rep).get("/customers/", {"sort": "name"}))
    assert rows == ["安徽建工集团有限公司", "北京星辰科技有限公司", "张家港钢铁有限公司"]


def test_next_and_previous_pages_cover_every_customer_once(people, many, login):
    client = login(people.rep)
    seen, params = [], {"size": 7, "sort": "tier"}
    response = client.get("/customers/", params)
    pages = [names_on(response)]
    while response.context["page"].has_next:
        response = client.get(
            "/customers/", {**params, "after": response.context["page"].next_cursor}
        )
        pages.append(names_on(response))
    seen = [n for page in pages for n in page]
    assert sorted(seen) == sorted(c.name for c in many) and len(seen) == len(set(seen))
    back = client.get("/customers/", {**params, "before": response.context["page"].prev_cursor})
    assert names_on(back) == pages[-2]


def test_total_is_capped_for_big_lists(people, many, login, settings):
    settings.KEHU_COUNT_CAP = 10
    body = login(people.rep).get("/customers/").content.decode()
    assert "10+ 个客户" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": ["A"]}, 10),
        ({"tier": ["A", "B"]}, 20),
        ({"status": ["customer"]}, 10),
        ({"tier": ["A"], "status": ["lead"]}, 10),
        ({"tier": ["A"], "status": ["customer"]}, 0),
    ],
)
def test_tier_and_status_filters(people, many, login, params, expected):
    response = login(people.rep).get("/customers/", {**params, "size": 100})
    assert len(names_on(response)) == expected


def test_owner_team_tag_industry_and_channel_filters(people, many, login):
    other = people.customer(people.rep3, "上海海纳贸易有限公司", channel=people.channel)
    client = login(people.manager)
    assert names_on(client.get("/customers/", {"owner": people.rep3.pk})) == [other.name]
    assert names_on(client.get("/customers/", {"team": people.shanghai.pk})) == [other.name]
    assert len(names_on(client.get("/customers/", {"team": people.east.pk, "size": 100}))) == 31
    assert names_on(client.get("/customers/", {"channel": people.channel.pk})) == [other.name]
    assert len(names_on(client.get("/customers/", {"tag": people.urgent.pk, "size": 100}))) == 15
    assert (
        len(names_on(client.get("/customers/", {"industry": people.industry.pk, "size": 100})))
        == 31
    )


def test_a_rep_cannot_filter_by_another_reps_owner_id(people, many, login):
    people.customer(people.rep2, "北京星辰网络科技有限公司")
    response = login(people.rep).get("/customers/", {"owner": people.rep2.pk})
    # the invalid choice is dropped, never widening what the rep sees
    assert "北京星辰网络科技有限公司" not in names_on(response)


def test_last_contact_range_never_contacted_and_overdue_filters(people, many, login):
    now = timezone.now()
    services.update_customer(people.rep, many[0], {"last_contact_at": now - timedelta(days=3)})
    services.update_customer(people.rep, many[1], {"last_contact_at": now - timedelta(days=40)})
    services.update_customer(people.rep, many[2], {"next_followup_at": now - timedelta(days=1)})
    client = login(people.rep)
    since = (now - timedelta(days=7)).date().isoformat()
    assert names_on(client.get("/customers/", {"contact_from": since})) == [many[0].name]
    until = (now - timedelta(days=30)).date().isoformat()
    assert names_on(client.get("/customers/", {"contact_to": until})) == [many[1].name]
    assert len(names_on(client.get("/customers/", {"never_contacted": "on", "size": 100}))) == 28
    assert names_on(client.get("/customers/", {"overdue": "on"})) == [many[2].name]


def test_chosen_columns_are_shown(people, many, login):
    response = login(people.rep).get("/customers/", {"cols": "name,phone,tags"})
    assert [c.key for c in response.context["columns"]] == ["name", "phone", "tags"]
    table = response.content.decode().split("<table", 1)[1]
    assert "13800000029" in table and "需求急迫" in table
    assert "最后跟进时间" not in table


def test_saved_views_are_per_user(people, many, login):
    client = login(people.rep)
    response = client.post(
        "/customers/views/", {"name": "我的A类", "query": "tier=A&cols=name,tier"}
    )
    assert response.status_code == 302 and "tier=A" in response["Location"]
    assert "我的A类" in client.get("/customers/").content.decode()
    assert "我的A类" not in login(people.rep2).get("/customers/").content.decode()
    view = SavedView.objects.get()
    login(people.rep2).post(f"/customers/views/{view.pk}/delete/")
    assert SavedView.objects.exists()  # not theirs to delete
    client.post(f"/customers/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_saved_view_needs_a_name(people, login):
    login(people.rep).post("/customers/views/", {"name": " ", "query": "tier=A"})
    assert not SavedView.objects.exists()


def test_bulk_tag_and_status_are_applied_and_audited(people, many, login):
    ids = ",".join(str(c.pk) for c in many[:3])
    client = login(people.rep)
    client.post("/customers/bulk/", {"action": "status", "ids": ids, "status": "churned"})
    assert Customer.objects.filter(status="churned").count() == 3
    client.post("/customers/bulk/", {"action": "tag", "ids": ids, "tag": people.urgent.pk})
    assert Customer.objects.filter(tags=people.urgent).count() == 17  # one of the 3 had it
    assert AuditEvent.objects.filter(changes__0__field="status", action="update").count() == 3


def test_bulk_assign_by_a_manager(people, many, login):
    ids = ",".join(str(c.pk) for c in many[:2])
    login(people.manager).post(
        "/customers/bulk/", {"action": "assign", "ids": ids, "owner": people.rep3.pk}
    )
    assert Customer.objects.filter(owner=people.rep3, team=people.shanghai).count() == 2


def test_bulk_action_including_a_foreign_customer_changes_nothing(people, many, login):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    ids = f"{many[0].pk},{theirs.pk}"
    response = login(people.rep).post(
        "/customers/bulk/", {"action": "status", "ids": ids, "status": "churned"}
    )
    assert response.status_code == 302
    assert not Customer.objects.filter(status="churned").exists()


def test_amounts_can_be_shown_in_wan(people, login):
    people.customer(people.rep, "宁波海纳贸易有限公司", cooperation_amount="1234567.89")
    client = login(people.rep)
    assert "1,234,567.89" in client.get("/customers/").content.decode()
    assert "123.46" in client.get("/customers/", {"unit": "wan"}).content.decode()


def test_htmx_request_returns_only_the_table(people, many, login):
    response = login(people.rep).get("/customers/", {"tier": "A"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<table" in body and '<nav class="navbar' not in body
