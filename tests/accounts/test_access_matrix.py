"""Who sees and changes which customers: every role against every other person's customers,
through the services and through the pages."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from kehu.accounts import access
from kehu.accounts.services import set_user_team
from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Contact, Customer

EVERYONE = {"rep", "rep3", "rep2", "manager", "director", "shared"}

# role → (customers they see, customers they may change), by the keys of the `book` fixture
MATRIX = {
    "rep": ({"rep", "shared"}, {"rep", "shared"}),
    "rep3": ({"rep3"}, {"rep3"}),
    "rep2": ({"rep2", "shared"}, {"rep2", "shared"}),
    "manager": ({"rep", "rep3", "manager"}, {"rep", "rep3", "manager"}),
    "director": (EVERYONE, EVERYONE),
    "admin": (EVERYONE, EVERYONE),
    "viewer": (EVERYONE, set()),
}


def keys_of(book, qs):
    pks = set(qs.values_list("pk", flat=True))
    return {key for key, customer in book.items() if customer.pk in pks}


@pytest.mark.parametrize("role", MATRIX)
def test_each_role_sees_and_changes_exactly_its_customers(people, book, role):
    actor = getattr(people, role)
    sees, changes = MATRIX[role]
    assert keys_of(book, access.visible_customers(actor)) == sees
    assert keys_of(book, access.editable_customers(actor)) == changes


@pytest.mark.parametrize("role", MATRIX)
def test_each_role_opens_exactly_its_customers_pages(people, book, login, role):
    client = login(getattr(people, role))
    sees, changes = MATRIX[role]
    for key, customer in book.items():
        detail = client.get(f"/customers/{customer.pk}/").status_code
        edit = client.get(f"/customers/{customer.pk}/edit/").status_code
        contact = client.get(f"/customers/{customer.pk}/contacts/new/").status_code
        assert detail == (200 if key in sees else 404), key
        assert edit == contact == (200 if key in changes else 404), key


@pytest.mark.parametrize("role", MATRIX)
def test_services_refuse_changes_outside_the_actors_customers(people, book, role):
    actor = getattr(people, role)
    _sees, changes = MATRIX[role]
    for key in EVERYONE - changes:
        customer = book[key]
        with pytest.raises(access.AccessDenied):
            services.update_customer(actor, customer, {"notes": "不该写入"})
        with pytest.raises(Http404):
            services.add_contact(actor, customer, {"name": "不该写入"})
        with pytest.raises(Http404):
            services.set_tags(actor, customer, [people.urgent])
    assert not Customer.objects.filter(notes="不该写入").exists()
    assert not Contact.objects.exists()
    assert not Customer.objects.filter(tags=people.urgent).exists()


def test_manager_sees_the_east_subtree_but_not_the_north(people, book):
    teams = set(access.visible_customers(people.manager).values_list("team__name", flat=True))
    assert teams == {"杭州组", "上海组", "华东大区"}


def test_viewer_can_read_but_every_write_is_refused(people, book, login):
    viewer, customer = people.viewer, book["rep"]
    with pytest.raises(access.AccessDenied):
        services.create_customer(viewer, {"name": "只读用户建的客户"})
    with pytest.raises(access.AccessDenied):
        services.bulk_set_status(viewer, [customer.pk], Customer.Status.CHURNED)
    with pytest.raises(Http404):
        services.merge_customers(viewer, customer, book["rep3"])
    assert Customer.objects.count() == len(book)
    client = login(viewer)
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
    assert client.get("/customers/new/").status_code == 404
    assert client.post("/customers/new/", {"name": "只读用户建的客户"}).status_code == 404
    data = {"name": "改名", "kind": "company", "status": "lead", "version": customer.version}
    assert client.post(f"/customers/{customer.pk}/edit/", data).status_code == 404
    assert client.get(f"/customers/{customer.pk}/merge/").status_code == 404
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_viewer_with_a_team_sees_only_that_subtree(people, book):
    people.viewer.team = people.north
    people.viewer.save()
    assert keys_of(book, access.visible_customers(people.viewer)) == {"rep2", "shared"}


def test_collaborator_can_edit_a_shared_customer(people, book):
    updated = services.update_customer(people.rep, book["shared"], {"notes": "协作跟进"})
    assert updated.notes == "协作跟进"


def test_collaborator_can_save_the_edit_page_of_a_shared_customer(people, book, login):
    shared = book["shared"]
    shared.refresh_from_db()
    response = login(people.rep).post(
        f"/customers/{shared.pk}/edit/",
        {
            "name": shared.name,
            "kind": "company",
            "status": "prospect",
            "version": shared.version,
            "collaborators": [people.rep.pk],
        },
    )
    assert response.status_code == 302
    shared.refresh_from_db()
    assert (shared.status, shared.owner) == ("prospect", people.rep2)


def test_removing_a_collaborator_takes_the_customer_away(people, book, login):
    services.set_collaborators(people.rep2, book["shared"], [])
    assert keys_of(book, access.visible_customers(people.rep)) == {"rep"}
    assert login(people.rep).get(f"/customers/{book['shared'].pk}/").status_code == 404


def test_rep_cannot_reassign_customers(people, book):
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.rep, book["rep"], {"owner": people.rep3})
    assert "owner" in err.value.message_dict
    with pytest.raises(access.AccessDenied):
        services.bulk_assign(people.rep, [book["rep"].pk], people.rep3)
    assert Customer.objects.get(pk=book["rep"].pk).owner == people.rep
    assert not AuditEvent.objects.filter(changes__0__field="owner").exists()


def test_manager_assigns_within_their_subtree_only(people, book):
    moved = services.update_customer(people.manager, book["rep"], {"owner": people.rep3})
    assert (moved.owner, moved.team) == (people.rep3, people.shanghai)
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.manager, book["rep3"], {"owner": people.rep2})
    assert "owner" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.bulk_assign(people.manager, [book["rep3"].pk], people.rep2)
    assert Customer.objects.get(pk=book["rep3"].pk).owner == people.rep3


def test_a_customer_reassigned_to_another_region_leaves_the_managers_view(people, book):
    services.bulk_assign(people.director, [book["rep"].pk], people.rep2)
    c = Customer.objects.get(pk=book["rep"].pk)
    assert (c.owner, c.team) == (people.rep2, people.beijing)
    assert "rep" not in keys_of(book, access.visible_customers(people.manager))


def test_moving_a_user_to_another_team_moves_their_customers(people, book):
    set_user_team(people.admin, people.rep2, people.shanghai)
    assert keys_of(book, access.visible_customers(people.manager)) == {
        "rep",
        "rep3",
        "manager",
        "rep2",
        "shared",
    }


def test_an_inactive_user_sees_nothing(people, book):
    people.rep.is_active = False
    people.rep.save()
    assert not access.visible_customers(people.rep).exists()
