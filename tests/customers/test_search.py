"""Search by name, pinyin, initials, phone fragment, contact name or e-mail, however typed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts import access
from kehu.customers import search, services
from kehu.customers.search import search_customers
from tests.conftest import names_on


@pytest.fixture
def companies(people):
    a = people.customer(people.rep, "杭州云帆科技有限公司")
    b = people.customer(people.rep, "宁波海纳贸易有限公司")
    c = people.customer(people.rep, "苏州精工机械股份有限公司")
    services.add_contact(
        people.rep,
        b,
        {"name": "王芳", "phone": "13812345678", "phone2": "0574-87654321", "email": "wf@haina.cn"},
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
    assert found(people.rep, "kejiyouxian") == ["杭州云帆科技有限公司"]
    assert found(people.rep, "Hai Na") == ["宁波海纳贸易有限公司"]


@pytest.mark.parametrize("q", ["1234567", "138-1234", "138 1234 5678", "87654321", "+86 1381234"])
def test_a_phone_fragment_finds_the_contacts_company(people, companies, q):
    assert found(people.rep, q) == ["宁波海纳贸易有限公司"]


@pytest.mark.parametrize(
    ("q", "name"), [("精工", "苏州精工机械股份有限公司"), ("yf", "杭州云帆科技有限公司")]
)
def test_two_character_queries_use_the_fallback_and_still_find(people, companies, q, name):
    assert found(people.rep, q) == [name]


def test_longer_chinese_substrings(people, companies):
    assert found(people.rep, "云帆科技") == ["杭州云帆科技有限公司"]
    assert found(people.rep, "机械股份") == ["苏州精工机械股份有限公司"]


@pytest.mark.parametrize(
    ("q", "name"),
    [
        ("ＫＪＹＸ", "杭州云帆科技有限公司"),
        ("ｋｊ　ｙｘ", "杭州云帆科技有限公司"),
        (" kj yx ", "杭州云帆科技有限公司"),
        ("云帆 科技", "杭州云帆科技有限公司"),
        ("精　工", "苏州精工机械股份有限公司"),
        ("１３８１２３４", "宁波海纳贸易有限公司"),
        ("YunFan", "杭州云帆科技有限公司"),
    ],
)
def test_full_width_characters_spaces_and_capitals_are_ignored(people, companies, q, name):
    assert found(people.rep, q) == [name]


def test_contact_name_and_email_find_the_company(people, companies):
    assert found(people.rep, "王芳") == ["宁波海纳贸易有限公司"]
    assert found(people.rep, "wf@haina") == ["宁波海纳贸易有限公司"]


def test_nothing_matches_an_unknown_term(people, companies):
    assert found(people.rep, "zzzz") == []
    assert found(people.rep, "99999") == []


def test_an_empty_query_is_no_filter(people, companies):
    assert len(found(people.rep, "  ")) == 3


def test_renamed_customer_is_found_by_its_new_name_only(people, companies):
    a = companies[0]
    services.update_customer(people.rep, a, {"name": "杭州星辰科技有限公司"})
    assert found(people.rep, "yunfan") == []
    assert found(people.rep, "xingchen") == ["杭州星辰科技有限公司"]


def test_new_and_deleted_contacts_change_what_finds_the_company(people, companies):
    a, b, _c = companies
    services.add_contact(people.rep, a, {"name": "周杰", "phone": "13900002222"})
    assert found(people.rep, "0000222") == ["杭州云帆科技有限公司"]
    services.delete_contact(people.rep, b.contacts.get())
    assert found(people.rep, "1234567") == []


def test_the_list_page_searches(people, companies, login):
    client = login(people.rep)
    assert names_on(client.get("/customers/", {"q": "kjyx"})) == ["杭州云帆科技有限公司"]
    assert names_on(client.get("/customers/", {"q": "138 1234"})) == ["宁波海纳贸易有限公司"]
    response = client.get("/customers/", {"q": "yxgs", "tier": "A"})
    assert names_on(response) == []  # search and filters combine


@pytest.mark.parametrize("q", ["kjyx", "yunfan", "1234567", "wf@haina", "精工", "yf"])
def test_broad_and_narrow_search_plans_find_the_same_customers(people, companies, monkeypatch, q):
    narrow = found(people.rep, q)
    monkeypatch.setattr(search, "BROAD_CANDIDATES", 0)  # every term now counts as broad
    assert found(people.rep, q) == narrow


@pytest.mark.parametrize("q", ["kj*yx", "yun?fan", "[kj]yx", "yun%fan", "yun_fan", 'yun"fan'])
def test_wildcard_characters_are_searched_for_as_typed(people, companies, q):
    assert found(people.rep, q) == []  # no wildcard of FTS5 or LIKE


def test_a_rare_term_is_looked_up_in_the_trigram_index(people, companies):
    with CaptureQueriesContext(connection) as queries:
        assert found(people.rep, "yunfan") == ["杭州云帆科技有限公司"]
    listed = queries.captured_queries[-1]["sql"]
    if connection.vendor == "sqlite":
        assert "customers_customer_fts WHERE customers_customer_fts MATCH" in listed
    else:
        assert "customers_customer_search WHERE search_text LIKE" in listed


def test_a_long_term_is_found_and_checked_whole(people, companies):
    name = "杭州云帆科技有限公司"
    assert found(people.rep, "hangzhouyunfankejiyouxiangongsi") == [name]  # 29 trigrams
    assert found(people.rep, "hangzhouyunfankejiyouxiangongsz") == []
