"""Saved views: a named list (filters, sort, columns) per person."""

import pytest
from django.core.exceptions import ValidationError

from kehu.customers import services
from kehu.customers.models import SavedView


def test_saving_a_view_opens_it_and_lists_it(people, login):
    client = login(people.rep)
    response = client.post(
        "/customers/views/", {"name": "我的A类", "query": "tier=A&sort=-score&cols=name,tier"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/?tier=A&sort=-score&cols=name,tier"
    listed = client.get("/customers/").context["saved_views"]
    assert [(v.name, v.query) for v in listed] == [("我的A类", "tier=A&sort=-score&cols=name,tier")]
    page = client.get(response["Location"])
    assert page.context["sort"] == "-score"
    assert [c.key for c in page.context["columns"]] == ["name", "tier"]


def test_saved_views_are_per_user(people, login):
    login(people.rep).post("/customers/views/", {"name": "我的A类", "query": "tier=A"})
    login(people.rep2).post("/customers/views/", {"name": "北方客户", "query": "status=lead"})
    assert "我的A类" in login(people.rep).get("/customers/").content.decode()
    other = login(people.rep2).get("/customers/")
    assert [v.name for v in other.context["saved_views"]] == ["北方客户"]
    assert "我的A类" not in other.content.decode()


def test_two_people_may_use_the_same_view_name(people):
    services.save_view(people.rep, "重点客户", "tier=A")
    services.save_view(people.rep3, "重点客户", "tier=B")
    assert SavedView.objects.count() == 2


def test_saving_under_an_existing_name_replaces_it(people):
    services.save_view(people.rep, "重点客户", "tier=A")
    services.save_view(people.rep, " 重点客户 ", "tier=B")
    assert list(SavedView.objects.values_list("name", "query")) == [("重点客户", "tier=B")]


def test_only_the_owner_deletes_a_view(people, login):
    view = services.save_view(people.rep, "我的A类", "tier=A")
    login(people.rep2).post(f"/customers/views/{view.pk}/delete/")
    assert SavedView.objects.exists()  # not theirs to delete
    response = login(people.rep).post(f"/customers/views/{view.pk}/delete/")
    assert response.status_code == 302
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("name", ["", " ", "　", "名" * 51])
def test_a_view_needs_a_short_name(people, login, name):
    with pytest.raises(ValidationError) as err:
        services.save_view(people.rep, name, "tier=A")
    assert "name" in err.value.message_dict
    response = login(people.rep).post("/customers/views/", {"name": name, "query": "tier=A"})
    assert response.status_code == 302
    assert not SavedView.objects.exists()
