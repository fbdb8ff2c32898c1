"""Likely duplicates are flagged when creating a customer, and nothing is saved until the
person confirms it is a different company."""

from kehu.customers import services
from kehu.customers.models import Customer
from kehu.customers.queries import find_duplicates

NEW = {"kind": "company", "status": "lead"}


def reasons(found):
    return {d.customer.name: d.reasons for d in found}


def test_same_company_written_differently_is_a_duplicate(people):
    people.customer(people.rep, "杭州云帆科技有限公司")
    for name in ("云帆科技（杭州）有限公司", "云帆科技(杭州)有限公司", "杭州 云帆科技 有限公司"):
        assert reasons(find_duplicates(people.rep, name=name)) == {
            "杭州云帆科技有限公司": ["名称相同"]
        }, name


def test_similar_name_is_a_likely_duplicate(people):
    people.customer(people.rep, "杭州云帆信息科技有限公司")
    found = find_duplicates(people.rep, name="杭州云帆科技有限公司")
    assert reasons(found) == {"杭州云帆信息科技有限公司": ["名称相似"]}


def test_unrelated_names_are_not_duplicates(people):
    people.customer(people.rep, "北京星辰网络科技有限公司")
    people.customer(people.rep, "杭州海纳贸易有限公司")
    assert find_duplicates(people.rep, name="杭州云帆科技有限公司") == []


def test_same_phone_or_email_is_a_duplicate(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    services.add_contact(
        people.rep, c, {"name": "王芳", "phone": "13812345678", "email": "wf@haina.cn"}
    )
    assert reasons(find_duplicates(people.rep, phones=["+86 138 1234 5678"])) == {
        c.name: ["电话相同"]
    }
    assert reasons(find_duplicates(people.rep, phones=["１３８１２３４５６７８"])) == {
        c.name: ["电话相同"]
    }
    assert reasons(find_duplicates(people.rep, emails=["WF@haina.cn "])) == {c.name: ["邮箱相同"]}


def test_a_customer_is_not_its_own_duplicate_when_edited(people):
    c = people.customer(people.rep, "杭州云帆科技有限公司")
    assert find_duplicates(people.rep, name=c.name, exclude_pk=c.pk) == []


def test_duplicates_outside_my_customers_are_named_but_not_linked(people, login):
    theirs = people.customer(people.rep2, "杭州云帆科技有限公司")
    found = find_duplicates(people.rep, name="云帆科技有限公司")
    assert [(d.customer.pk, d.visible) for d in found] == [(theirs.pk, False)]
    body = (
        login(people.rep)
        .get("/customers/duplicates/", {"name": "云帆科技有限公司"})
        .content.decode()
    )
    assert "杭州云帆科技有限公司" in body and f"/customers/{theirs.pk}/" not in body
    assert "赵磊" in body  # the owner to ask


def test_duplicates_i_can_see_are_linked(people, login):
    mine = people.customer(people.rep3, "杭州云帆科技有限公司")
    body = (
        login(people.manager)
        .get("/customers/duplicates/", {"name": "云帆科技有限公司"})
        .content.decode()
    )
    assert f"/customers/{mine.pk}/" in body


def test_create_page_warns_and_saves_only_when_confirmed(people, login):
    people.customer(people.rep, "杭州云帆科技有限公司")
    client = login(people.rep)
    data = {**NEW, "name": "云帆科技（杭州）有限公司"}
    response = client.post("/customers/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "可能重复的客户" in body and "杭州云帆科技有限公司" in body
    assert 'name="confirm_duplicate"' in body
    assert Customer.objects.count() == 1
    response = client.post("/customers/new/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_create_page_warns_about_a_contacts_phone_or_email_already_known(people, login):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    services.add_contact(
        people.rep, c, {"name": "王芳", "phone": "13812345678", "email": "wf@haina.cn"}
    )
    client = login(people.rep)
    for contact in ({"contact-phone": "138-1234-5678"}, {"contact-email": "WF@haina.cn"}):
        data = {**NEW, "name": "成都蓝海科技有限公司", "contact-name": "周杰", **contact}
        body = client.post("/customers/new/", data).content.decode()
        assert "宁波海纳贸易有限公司" in body, contact
    assert Customer.objects.count() == 1


def test_create_page_names_a_hidden_duplicate_without_a_link(people, login):
    theirs = people.customer(people.rep2, "杭州云帆科技有限公司")
    response = login(people.rep).post("/customers/new/", {**NEW, "name": "云帆科技有限公司"})
    body = response.content.decode()
    assert "杭州云帆科技有限公司" in body and f"/customers/{theirs.pk}/" not in body
    assert "赵磊" in body
    assert Customer.objects.count() == 1


def test_renaming_to_an_existing_name_warns_too(people, login):
    people.customer(people.rep, "杭州云帆科技有限公司")
    c = people.customer(people.rep, "苏州精工机械有限公司")
    client = login(people.rep)
    data = {**NEW, "name": "云帆科技（杭州）有限公司", "version": c.version}
    body = client.post(f"/customers/{c.pk}/edit/", data).content.decode()
    assert "可能重复的客户" in body
    assert Customer.objects.get(pk=c.pk).name == "苏州精工机械有限公司"
    response = client.post(f"/customers/{c.pk}/edit/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=c.pk).name == "云帆科技（杭州）有限公司"


def test_an_edit_that_keeps_the_name_does_not_warn(people, login):
    people.customer(people.rep, "杭州云帆科技有限公司", city="杭州")
    c = people.customer(people.rep, "云帆科技（杭州）有限公司", city="杭州")  # confirmed earlier
    response = login(people.rep).post(
        f"/customers/{c.pk}/edit/", {**NEW, "name": c.name, "city": "滨江", "version": c.version}
    )
    assert response.status_code == 302
