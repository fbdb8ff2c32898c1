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
