"""Creating and editing a customer through its pages."""

from kehu.customers.models import Customer

NEW = {"kind": "company", "status": "lead"}


def test_create_page_creates_a_customer_with_its_primary_contact(people, login):
    client = login(people.rep)
    assert client.get("/customers/new/").status_code == 200
    response = client.post(
        "/customers/new/",
        {
            **NEW,
            "name": "成都蓝海科技有限公司",
            "industry": people.industry.pk,
            "tags": [people.urgent.pk],
            "contact-name": "周杰",
            "contact-phone": "139 0000 2222",
        },
    )
    c = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{c.pk}/"
    assert (c.owner, c.team, c.created_by) == (people.rep, people.hangzhou, people.rep)
    assert list(c.tags.all()) == [people.urgent]
    contact = c.contacts.get()
    assert (contact.name, contact.phone, contact.is_primary) == ("周杰", "13900002222", True)


def test_a_manager_creates_a_customer_for_someone_in_their_team(people, login):
    login(people.manager).post(
        "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司", "owner": people.rep3.pk}
    )
    c = Customer.objects.get()
    assert (c.owner, c.team, c.created_by) == (people.rep3, people.shanghai, people.manager)


def test_edit_page_saves_fields_tags_and_collaborators(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    client = login(people.rep)
    form = client.get(f"/customers/{c.pk}/edit/").context["form"]
    assert form["name"].value() == c.name
    response = client.post(
        f"/customers/{c.pk}/edit/",
        {
            **NEW,
            "name": c.name,
            "status": "prospect",
            "core_needs": "系统升级",
            "version": form["version"].value(),
            "tags": [people.urgent.pk, people.price.pk],
            "collaborators": [people.rep3.pk],
        },
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.core_needs) == ("prospect", "系统升级")
    assert sorted(c.tags.values_list("name", flat=True)) == ["价格敏感", "需求急迫"]
    assert list(c.collaborators.all()) == [people.rep3]


def test_a_manager_reassigns_on_the_edit_page(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    response = login(people.manager).post(
        f"/customers/{c.pk}/edit/",
        {**NEW, "name": c.name, "owner": people.rep3.pk, "version": c.version},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.owner, c.team) == (people.rep3, people.shanghai)


def test_the_customer_page_shows_profile_contacts_tags_and_collaborators(people, login):
    from kehu.customers import services

    c = people.customer(people.rep, "苏州精工机械有限公司", city="苏州", core_needs="系统升级")
    services.add_contact(people.rep, c, {"name": "王芳", "phone": "13812345678"})
    services.set_tags(people.rep, c, [people.urgent])
    services.set_collaborators(people.rep, c, [people.rep3])
    body = login(people.rep).get(f"/customers/{c.pk}/").content.decode()
    for text in (
        "苏州精工机械有限公司",
        "系统升级",
        "王芳",
        "13812345678",
        "需求急迫",
        "陈静",
        "张伟",
    ):
        assert text in body, text


def test_a_manager_who_leaves_the_owner_blank_owns_the_new_customer(people, login):
    client = login(people.manager)
    response = client.post("/customers/new/", {**NEW, "name": "成都蓝海科技有限公司", "owner": ""})
    c = Customer.objects.get()
    assert (c.owner, c.team) == (people.manager, people.east)
    assert client.get(response["Location"]).status_code == 200
