from kehu.customers import services
from kehu.customers.models import Customer
from kehu.customers.queries import find_duplicates


def reasons(found):
    return {d.customer.name: d.reasons for d in found}


def test_same_company_written_differently_is_a_duplicate(people):
    people.customer(people.rep, "杭州云帆科技有限公司")
    found = find_duplicates(people.rep, name="云帆科技（杭州）有限公司")
    assert reasons(found) == {"杭州云帆科技有限公司": ["名称相同"]}


def test_similar_name_is_a_likely_duplicate(people):
    people.customer(people.rep, "杭州云帆信息科技有限公司")
    found = find_duplicates(people.rep, name="杭州云帆科技有限公司")
    assert "名称相似" in reasons(found)["杭州云帆信息科技有限公司"]


def test_unrelated_names_are_not_duplicates(people):
    people.customer(people.rep, "北京星辰网络科技有限公司")
    assert find_duplicates(people.rep, name="杭州云帆科技有限公司") == []


def test_same_phone_or_email_is_a_duplicate(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    services.add_contact(
        people.rep, c, {"name": "王芳", "phone": "13812345678", "email": "wf@haina.cn"}
    )
    assert reasons(find_duplicates(people.rep, phones=["+86 138 1234 5678"])) == {
        c.name: ["电话相同"]
    }
    assert reasons(find_duplicates(people.rep, emails=["WF@haina.cn"])) == {c.name: ["邮箱相同"]}


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


def test_create_page_warns_and_saves_only_when_confirmed(people, login):
    people.customer(people.rep, "杭州云帆科技有限公司")
    client = login(people.rep)
    data = {"name": "云帆科技（杭州）有限公司", "kind": "company", "status": "lead"}
    response = client.post("/customers/new/", data)
    assert response.status_code == 200
    assert "可能重复的客户" in response.content.decode()
    assert Customer.objects.count() == 1
    response = client.post("/customers/new/", {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_create_page_creates_customer_with_primary_contact(people, login):
    response = login(people.rep).post(
        "/customers/new/",
        {
            "name": "成都蓝海科技有限公司",
            "kind": "company",
            "status": "lead",
            "contact-name": "周杰",
            "contact-phone": "139 0000 2222",
        },
    )
    assert response.status_code == 302
    c = Customer.objects.get()
    assert c.owner == people.rep and c.team == people.hangzhou
    assert c.contacts.get().phone == "13900002222"
    assert c.contacts.get().is_primary
