"""Contacts on the customer page: add, edit, delete, and one primary contact."""

from kehu.customers import services
from kehu.customers.models import Contact


def test_first_contact_becomes_primary_and_only_one_stays_primary(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    first = services.add_contact(people.rep, c, {"name": "王芳"})
    assert first.is_primary
    second = services.add_contact(people.rep, c, {"name": "李强", "is_primary": True})
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    services.update_contact(people.rep, first, {"is_primary": True})
    assert list(c.contacts.filter(is_primary=True)) == [first]


def test_a_second_contact_is_not_primary_unless_asked(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    services.add_contact(people.rep, c, {"name": "王芳"})
    assert not services.add_contact(people.rep, c, {"name": "李强"}).is_primary


def test_contact_pages_add_edit_and_delete(people, login):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    client = login(people.rep)
    response = client.post(
        f"/customers/{c.pk}/contacts/new/", {"name": "王芳", "title": "采购经理"}
    )
    assert response.status_code == 302 and response["Location"] == f"/customers/{c.pk}/"
    contact = Contact.objects.get()
    page = client.get(f"/customers/{c.pk}/").content.decode()
    assert "王芳" in page and "采购经理" in page
    url = f"/customers/{c.pk}/contacts/{contact.pk}/"
    assert 'value="王芳"' in client.get(url).content.decode()
    response = client.post(url, {"name": "王芳", "title": "采购总监", "phone": "13812345678"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.phone) == ("采购总监", "13812345678")
    assert client.post(url + "delete/").status_code == 302
    assert not Contact.objects.exists()


def test_deleting_a_contact_needs_a_post(people, login):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    contact = services.add_contact(people.rep, c, {"name": "王芳"})
    response = login(people.rep).get(f"/customers/{c.pk}/contacts/{contact.pk}/delete/")
    assert response.status_code == 405
    assert Contact.objects.exists()


def test_a_collaborator_can_add_contacts(people, book):
    contact = services.add_contact(people.rep, book["shared"], {"name": "刘洋"})
    assert contact.customer == book["shared"]
