"""Who sees and changes what: each role against each other role's customers."""

import pytest
from django.core.exceptions import ValidationError

from kehu.accounts import access
from kehu.customers import services
from kehu.customers.models import Customer


@pytest.fixture
def book(people):
    """One customer per salesperson, plus one of rep2's shared with rep."""
    b = {
        "rep": people.customer(people.rep, "杭州云帆科技有限公司"),
        "rep3": people.customer(people.rep3, "上海海纳贸易有限公司"),
        "rep2": people.customer(people.rep2, "北京星辰网络科技有限公司"),
        "manager": people.customer(people.manager, "宁波金桥精密制造有限公司"),
        "director": people.customer(people.director, "深圳博远电子有限公司"),
        "shared": people.customer(people.rep2, "天津华信物流有限公司"),
    }
    services.set_collaborators(people.rep2, b["shared"], [people.rep])
    return b


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_rep_sees_own_and_shared_customers_only(people, book):
    assert names(access.visible_customers(people.rep)) == sorted(
        [book["rep"].name, book["shared"].name]
    )


def test_rep_in_another_team_sees_only_their_own(people, book):
    assert names(access.visible_customers(people.rep2)) == sorted(
        [book["rep2"].name, book["shared"].name]
    )


def test_manager_sees_their_team_subtree_but_not_other_regions(people, book):
    visible = names(access.visible_customers(people.manager))
    assert visible == sorted([book["rep"].name, book["rep3"].name, book["manager"].name])
    assert book["rep2"].name not in visible


@pytest.mark.parametrize("role", ["director", "admin"])
def test_directors_and_admins_see_everything(people, book, role):
    assert access.visible_customers(getattr(people, role)).count() == len(book)


def test_viewer_sees_everything_but_can_change_nothing(people, book):
    assert access.visible_customers(people.viewer).count() == len(book)
    assert access.editable_customers(people.viewer).count() == 0
    with pytest.raises(access.AccessDenied):
        services.create_customer(people.viewer, {"name": "只读用户建的客户"})


def test_viewer_with_a_team_sees_only_that_subtree(people, book):
    people.viewer.team = people.north
    people.viewer.save()
    assert names(access.visible_customers(people.viewer)) == sorted(
        [book["rep2"].name, book["shared"].name]
    )


def test_collaborator_can_edit_a_shared_customer(people, book):
    updated = services.update_customer(people.rep, book["shared"], {"notes": "协作跟进"})
    assert updated.notes == "协作跟进"


@pytest.mark.parametrize("path", ["", "edit/", "merge/", "contacts/new/"])
def test_rep_guessing_another_reps_customer_url_gets_404(people, book, login, path):
    client = login(people.rep)
    other = book["rep2"]
    assert client.get(f"/customers/{other.pk}/{path}").status_code == 404
    assert client.get(f"/customers/{book['rep'].pk}/{path}").status_code == 200


def test_rep_cannot_edit_another_reps_contact(people, book, login):
    contact = services.add_contact(
        people.rep2, book["rep2"], {"name": "刘洋", "phone": "13900001111"}
    )
    client = login(people.rep)
    url = f"/customers/{book['rep2'].pk}/contacts/{contact.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "delete/").status_code == 404
    assert book["rep2"].contacts.count() == 1


def test_manager_gets_404_outside_their_subtree(people, book, login):
    client = login(people.manager)
    assert client.get(f"/customers/{book['rep3'].pk}/").status_code == 200
    assert client.get(f"/customers/{book['rep2'].pk}/").status_code == 404


def test_viewer_gets_404_on_edit_and_create_pages(people, book, login):
    client = login(people.viewer)
    assert client.get(f"/customers/{book['rep'].pk}/").status_code == 200
    assert client.get(f"/customers/{book['rep'].pk}/edit/").status_code == 404
    assert client.get("/customers/new/").status_code == 404


def test_list_page_never_shows_other_reps_customers(people, book, login):
    body = login(people.rep).get("/customers/").content.decode()
    assert book["rep"].name in body and book["shared"].name in body
    for key in ("rep2", "rep3", "manager", "director"):
        assert book[key].name not in body


def test_search_never_finds_other_reps_customers(people, book, login):
    body = login(people.rep).get("/customers/", {"q": "xingchen"}).content.decode()
    assert book["rep2"].name not in body


def test_rep_cannot_bulk_change_customers_they_cannot_edit(people, book):
    ids = [book["rep"].pk, book["rep2"].pk]
    with pytest.raises(access.AccessDenied):
        services.bulk_set_status(people.rep, ids, Customer.Status.CHURNED)
    assert not Customer.objects.filter(status=Customer.Status.CHURNED).exists()


def test_rep_cannot_reassign_customers(people, book):
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.rep, book["rep"], {"owner": people.rep3})
    assert "owner" in err.value.message_dict
    with pytest.raises(access.AccessDenied):
        services.bulk_assign(people.rep, [book["rep"].pk], people.rep3)
    assert Customer.objects.get(pk=book["rep"].pk).owner == people.rep


def test_manager_assigns_within_subtree_only(people, book):
    moved = services.update_customer(people.manager, book["rep"], {"owner": people.rep3})
    assert moved.owner == people.rep3 and moved.team == people.shanghai
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.manager, book["rep3"], {"owner": people.rep2})
    assert "owner" in err.value.message_dict


def test_director_reassignment_moves_the_customer_into_the_new_team(people, book):
    services.bulk_assign(people.director, [book["rep"].pk], people.rep2)
    c = Customer.objects.get(pk=book["rep"].pk)
    assert (c.owner, c.team) == (people.rep2, people.beijing)
    assert c.pk not in access.visible_customers(people.manager).values_list("pk", flat=True)


def test_moving_a_user_to_another_team_moves_their_customers(people, book):
    from kehu.accounts.services import set_user_team

    set_user_team(people.admin, people.rep2, people.shanghai)
    assert book["rep2"].name in names(access.visible_customers(people.manager))
