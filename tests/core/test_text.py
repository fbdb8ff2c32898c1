import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.core.text import (
    clean_text,
    is_valid_phone,
    name_key,
    normalize_phone,
    pinyin_forms,
    search_document,
    to_half_width,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),
        ("(0571) 8888-6666", "057188886666"),
        ("0571-88886666 转 123", "057188886666-123"),
        ("400-800-1234", "4008001234"),
        ("", ""),
    ],
)
def test_phones_are_normalised_the_way_people_type_them(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("phone", ["13812345678", "057188886666", "02166668888", "4008001234"])
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "23812345678", "1381234567", "abc"])
def test_invalid_phones(phone):
    assert not is_valid_phone(normalize_phone(phone))


@pytest.mark.parametrize(
    "name",
    [
        "杭州云帆科技有限公司",
        "云帆科技（杭州）有限公司",
        "云帆科技(杭州)有限公司",
        "浙江省杭州云帆科技股份有限公司",
        " 杭州 云帆科技有限公司 ",
    ],
)
def test_company_name_variants_share_one_key(name):
    assert name_key(name) == "云帆科技"


def test_pinyin_forms_give_full_pinyin_and_initials():
    assert pinyin_forms("科技有限公司") == ("kejiyouxiangongsi", "kjyxgs")
    assert pinyin_forms("ABC 科技") == ("abckeji", "abckj")


def test_search_document_holds_name_pinyin_initials_and_phones():
    doc = search_document("云帆科技", ["13812345678", "057188886666-12"], ["王芳"])
    assert doc.split("|") == [
        "云帆科技",
        "yunfankeji",
        "yfkj",
        "13812345678",
        "05718888666612",
        "王芳",
    ]


@given(st.text())
def test_half_width_is_idempotent(text):
    assert to_half_width(to_half_width(text)) == to_half_width(text)


@given(st.text())
def test_clean_text_is_idempotent_and_trimmed(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert once == once.strip()


@given(st.text(alphabet="0123456789+-() 　１２３转", max_size=30))
def test_phone_normalisation_is_idempotent(text):
    once = normalize_phone(text)
    assert normalize_phone(once) == once
