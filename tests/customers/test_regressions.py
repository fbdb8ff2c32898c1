"""Bugs found by a second pair of eyes, kept fixed."""

from kehu.core.paging import encode_cursor
from kehu.customers import services
from kehu.customers.models import Contact


def test_a_cursor_of_the_wrong_type_starts_from_the_top(people, login):
    people.customer(people.rep, "杭州云帆科技有限公司")
    bad = encode_cursor("hangzhou", 1)  # a name where the score sort expects a number
    response = login(people.rep).get("/customers/", {"sort": "score", "after": bad})
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 1


def test_a_merge_leaves_one_primary_contact(people):
    keep = people.customer(people.rep, "杭州云帆科技有限公司")
    drop = people.customer(people.rep, "云帆科技（杭州）有限公司")
    services.add_contact(people.rep, keep, {"name": "王芳"})
    services.add_contact(people.rep, drop, {"name": "李强"})
    services.merge_customers(people.rep, keep, drop)
    assert list(Contact.objects.filter(is_primary=True).values_list("name", flat=True)) == ["王芳"]


def test_a_manager_can_save_a_customer_shared_from_another_region(people, login):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    services.set_collaborators(people.rep2, theirs, [people.manager])
    theirs.refresh_from_db()
    response = login(people.manager).post(
        f"/customers/{theirs.pk}/edit/",
        {
            "name": theirs.name,
            "kind": "company",
            "status": "prospect",
            "owner": people.rep2.pk,
            "version": theirs.version,
        },
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "prospect" and theirs.owner == people.rep2


def test_a_stale_edit_lists_the_saved_values_not_the_typed_ones(people, login):
    c = people.customer(people.rep, "苏州精工机械有限公司")
    client = login(people.rep)
    opened = client.get(f"/customers/{c.pk}/edit/").context["form"]["version"].value()
    services.update_customer(people.manager, c, {"notes": "经理的修改"})
    response = client.post(
        f"/customers/{c.pk}/edit/",
        {
            "name": c.name,
            "kind": "company",
            "status": "lead",
            "notes": "销售的修改",
            "version": opened,
        },
    )
    shown = [value for _label, value in response.context["stale"]]
    assert "经理的修改" in shown and "销售的修改" not in shown


def test_a_phone_with_no_digits_is_refused_not_dropped(people):
    import pytest
    from django.core.exceptions import ValidationError

    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    with pytest.raises(ValidationError) as err:
        services.add_contact(people.rep, c, {"name": "王芳", "phone": "abc"})
    assert "phone" in err.value.message_dict
    assert not Contact.objects.exists()


def test_a_manager_cannot_reassign_a_customer_only_shared_with_them(people):
    import pytest
    from django.core.exceptions import ValidationError

    from kehu.accounts.access import AccessDenied
    from kehu.customers.models import Customer

    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    services.set_collaborators(people.rep2, theirs, [people.manager])
    with pytest.raises(ValidationError) as err:
        services.update_customer(people.manager, theirs, {"owner": people.rep})
    assert "owner" in err.value.message_dict
    with pytest.raises(AccessDenied):
        services.bulk_assign(people.manager, [theirs.pk], people.rep)
    assert Customer.objects.get(pk=theirs.pk).owner == people.rep2
    # their own team's customers they still reassign
    ours = people.customer(people.rep, "杭州云帆科技有限公司")
    assert (
        services.update_customer(people.manager, ours, {"owner": people.rep3}).owner == people.rep3
    )
