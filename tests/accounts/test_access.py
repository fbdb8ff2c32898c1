"""The access module's helpers, checked against the visible set they narrow."""


def test_visible_customers_in_teams_is_the_visible_set_narrowed_to_the_teams(people, book):
    from kehu.accounts import access

    def names(actor, teams):
        return set(access.visible_customers_in_teams(actor, teams).values_list("name", flat=True))

    east = access.team_subtree_ids(people.east)
    # a manager sees their own subtree whole
    assert names(people.manager, east) == set(
        access.visible_customers(people.manager)
        .filter(team_id__in=east)
        .values_list("name", flat=True)
    )
    # outside it, only what they see anyway (here: nothing of 北京组)
    assert names(people.manager, [people.beijing.pk]) == set()
    # a rep never gets a team whole: only their own and shared customers of it
    assert names(people.rep, [people.beijing.pk]) == {book["shared"].name}
    assert book["rep2"].name in names(people.director, [people.beijing.pk])


def test_visible_in_key_order_holds_the_same_rows_as_visible(people, book):
    from kehu.accounts import access
    from kehu.customers.models import Contact
    from kehu.customers.services import add_contact

    for customer in book.values():
        add_contact(customer.owner, customer, {"name": f"{customer.name}联系人", "phone": ""})
    for actor in (people.rep, people.rep2, people.manager, people.director, people.viewer):
        paged = list(access.visible_in_key_order(actor, Contact).order_by("-id"))
        assert paged == list(access.visible(actor, Contact).order_by("-id")), actor
    assert len(list(access.visible_in_key_order(people.rep, Contact))) == 2  # own + shared
