"""What people type is stored the way the company compares it: half width, trimmed, phones as
digits, e-mails in lower case."""

import pytest

from kehu.customers import services


def test_names_and_text_are_cleaned_on_save(people):
    c = people.customer(
        people.rep, "　杭州云帆科技(集团)有限公司 ", city="　杭州 ", address="文一西路  １号"
    )
    assert c.name == "杭州云帆科技（集团）有限公司"
    assert c.city == "杭州"
    assert c.address == "文一西路 1号"
    assert c.name_pinyin.startswith("hangzhouyunfan")


def test_a_renamed_customer_gets_its_new_pinyin(people):
    c = people.customer(people.rep, "杭州云帆科技有限公司")
    renamed = services.update_customer(people.rep, c, {"name": "ＡＢＣ 科技"})
    assert (renamed.name, renamed.name_pinyin) == ("ABC 科技", "abckeji")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("１３９００００１１１１", "13900001111"),
        ("0086 139 0000 1111", "13900001111"),
        ("(0571) 8888 6666 转 12", "057188886666-12"),
        ("400-800-1234", "4008001234"),
        ("", ""),
    ],
)
def test_contact_phones_are_normalised(people, typed, stored):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    contact = services.add_contact(people.rep, c, {"name": "王芳", "phone": typed, "phone2": typed})
    assert (contact.phone, contact.phone2) == (stored, stored)


def test_contact_text_and_email_are_cleaned(people):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    contact = services.add_contact(
        people.rep,
        c,
        {"name": " 王　芳 ", "title": "采购　经理", "email": " WF@Haina.CN ", "wechat": " wf_1 "},
    )
    assert (contact.name, contact.title, contact.email, contact.wechat) == (
        "王 芳",
        "采购 经理",
        "wf@haina.cn",
        "wf_1",
    )


def test_the_contact_form_stores_normalised_phones(people, login):
    c = people.customer(people.rep, "宁波海纳贸易有限公司")
    response = login(people.rep).post(
        f"/customers/{c.pk}/contacts/new/", {"name": "王芳", "phone": "+86 138-1234-5678"}
    )
    assert response.status_code == 302
    assert c.contacts.get().phone == "13812345678"
