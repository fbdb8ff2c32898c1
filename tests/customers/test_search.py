import pytest

from kehu.accounts import access
from kehu.customers import services
from kehu.customers.search import search_customers


@pytest.fixture
def companies(people):
    a = people.customer(people.rep, "杭州云帆科技有限公司")
    b = people.customer(people.rep, "宁波海纳贸易有限公司")
    c = people.customer(people.rep, "苏州精工机械股份有限公司")
    services.add_contact(
        people.rep, b, {"name": "王芳", "phone": "13812345678", "email": "wf@haina.cn"}
    )
    return a, b, c


def found(actor, q):
    return sorted(
        search_customers(access.visible_customers(actor), q).values_list("name", flat=True)
    )


def test_pinyin_initials_find_the_company(people, companies):
    assert found(people.rep, "kjyx") == ["杭州云帆科技有限公司"]
    assert found(people.rep, "yxgs") == sorted(c.name for c in companies)


def test_full_pinyin_finds_the_company(people, companies):
    assert found(people.rep, "yunfan") == ["杭州云帆科技有限公司"]
    assert found(people.rep, "Hai Na") == ["宁波海纳贸易有限公司"]


def test_a_phone_fragment_finds_the_contacts_company(people, companies):
    assert found(people.rep, "1234567") == ["宁波海纳贸易有限公司"]
    assert found(people.rep, "138-1234") == ["宁波海纳贸易有限公司"]


def test_chinese_substrings_of_two_and_more_characters(people, companies):
    assert found(people.rep, "精工") == ["苏州精工机械股份有限公司"]
    assert found(people.rep, "云帆科技") == ["杭州云帆科技有限公司"]


def test_full_width_input_is_searched_as_half_width(people, companies):
    assert found(people.rep, "ＫＪＹＸ") == ["杭州云帆科技有限公司"]


def test_contact_name_and_email_find_the_company(people, companies):
    assert found(people.rep, "王芳") == ["宁波海纳贸易有限公司"]
    assert found(people.rep, "wf@haina") == ["宁波海纳贸易有限公司"]


def test_renamed_customer_is_found_by_its_new_name_only(people, companies):
    a = companies[0]
    services.update_customer(people.rep, a, {"name": "杭州星辰科技有限公司"})
    assert found(people.rep, "yunfan") == []
    assert found(people.rep, "xingchen") == ["杭州星辰科技有限公司"]


def test_deleted_contact_phone_no_longer_finds_the_company(people, companies):
    b = companies[1]
    services.delete_contact(people.rep, b.contacts.get())
    assert found(people.rep, "1234567") == []


@pytest.mark.parametrize("q", ["kjyx", "yunfan", "1234567", "wf@haina", "精工"])
def test_broad_and_narrow_search_plans_find_the_same_customers(people, companies, monkeypatch, q):
    from kehu.customers import search

    narrow = found(people.rep, q)
    monkeypatch.setattr(search, "BROAD_MATCHES", 0)  # every term now counts as broad
    assert found(people.rep, q) == narrow
