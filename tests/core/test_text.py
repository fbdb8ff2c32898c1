import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.core.text import (
    bulk_pinyin_reader,
    clean_company_name,
    clean_text,
    is_valid_email,
    is_valid_phone,
    name_key,
    normalize_email,
    normalize_phone,
    pinyin_by_words,
    pinyin_forms,
    search_document,
    to_half_width,
)

FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


def full_width(text: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in text)


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("云帆　科技", "云帆 科技"),
        ("（杭州）", "(杭州)"),
        ("①②", "①②"),  # not in the full-width block: kept as typed
    ],
)
def test_full_width_letters_digits_and_spaces_become_half_width(raw, expected):
    assert to_half_width(raw) == expected


def test_company_names_keep_chinese_brackets():
    assert clean_company_name(" 云帆科技(杭州)有限公司 ") == "云帆科技（杭州）有限公司"
    assert clean_company_name("ACME (China) Ltd.") == "ACME (China) Ltd."


@pytest.mark.parametrize(
    ("email", "valid"),
    [("wf@haina.cn", True), ("WF@Haina.CN ", True), ("not-an-email", False), ("a@b", False)],
)
def test_emails_are_lower_cased_and_checked(email, valid):
    assert is_valid_email(normalize_email(email)) is valid


# --- properties ---------------------------------------------------------------------------
@given(st.text())
def test_half_width_is_idempotent_and_keeps_the_length(text):
    once = to_half_width(text)
    assert to_half_width(once) == once
    assert len(once) == len(text)
    assert not any(0xFF01 <= ord(ch) <= 0xFF5E or ch == "\u3000" for ch in once)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_full_width_ascii_comes_back_as_typed(text):
    assert to_half_width(full_width(text)) == text


@given(st.text())
def test_clean_text_is_idempotent_and_trimmed(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(st.text(alphabet="0123456789+-() 　１２３转xX#", max_size=30))
def test_phone_normalisation_is_idempotent(text):
    once = normalize_phone(text)
    assert normalize_phone(once) == once


@given(st.text())
def test_phone_normalisation_is_idempotent_on_any_text(text):
    once = normalize_phone(text)
    assert normalize_phone(once) == once


@given(
    mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    prefix=st.sampled_from(["", "+86 ", "+86-", "0086 ", "86"]),
    sep=st.sampled_from(["", " ", "-", "　"]),
    wide=st.booleans(),
)
def test_a_mobile_however_typed_normalises_to_its_eleven_digits(mobile, prefix, sep, wide):
    typed = prefix + sep.join([mobile[:3], mobile[3:7], mobile[7:]])
    if wide:
        typed = full_width(typed)
    assert normalize_phone(typed) == mobile
    assert is_valid_phone(normalize_phone(typed))


@given(st.text())
def test_normalised_email_is_idempotent(text):
    once = normalize_email(text)
    assert normalize_email(once) == once


@given(st.text(alphabet="云帆科技杭州有限公司海纳贸易ABCxyz123 　（）()", max_size=20))
def test_pinyin_forms_are_lower_case_letters_and_digits(text):
    full, initials = pinyin_forms(text)
    assert full == "".join(ch for ch in full if ch.isascii() and ch.isalnum()).lower()
    assert initials == "".join(ch for ch in initials if ch.isascii() and ch.isalnum()).lower()
    assert len(initials) <= len(full)


@given(st.text(alphabet="云帆科技杭州有限公司集团股份（）() ", min_size=1, max_size=20))
def test_name_key_ignores_width_and_spacing(name):
    assert name_key(full_width(name)) == name_key(name)
    assert name_key(f"  {name} ") == name_key(name)


def _name_key_by_slices(value: str) -> str:
    """name_key as it was written first (a slice and a set lookup per length), kept to check
    the single-pattern version against."""
    from kehu.core.text import _BRACKETED_RE, _PUNCT_RE, _SUFFIX_SET, REGION_PREFIXES

    key = clean_text(value).lower()
    if "(" in key or "（" in key:
        key = _BRACKETED_RE.sub("", key)
    key = _PUNCT_RE.sub("", key)
    for _ in range(2):
        for n in sorted({len(s) for s in _SUFFIX_SET}, reverse=True):
            if len(key) > n and key[-n:] in _SUFFIX_SET:
                key = key[:-n]
                break
        else:
            break
    for _ in range(2):
        for n in sorted({len(p) for p in REGION_PREFIXES}, reverse=True):
            if len(key) > n + 1 and key[:n] in REGION_PREFIXES:
                key = key[n:]
                break
        else:
            break
        for tail in ("省", "市", "区"):
            if key.startswith(tail) and len(key) > 2:
                key = key[1:]
    return key


NAME_PIECES = [
    "浙江",
    "浙江省",
    "杭州",
    "杭州市",
    "黑龙江",
    "哈尔滨",
    "乌鲁木齐",
    "中国",
    "区",
    "市",
    "省",
    "云帆",
    "科技",
    "海纳",
    "贸易",
    "集团",
    "股份",
    "有限",
    "公司",
    "有限公司",
    "分公司",
    "有限责任公司",
    "集团股份有限公司",
    "Co., Ltd.",
    "co ltd",
    "Inc",
    "limited",
    "corp.",
    "（杭州）",
    "(集团)",
    " ",
    "·",
    "-",
    "A",
    "1",
]


@given(st.lists(st.sampled_from(NAME_PIECES), max_size=8).map("".join))
def test_name_key_reads_suffixes_and_prefixes_as_the_slice_by_slice_version(name):
    assert name_key(name) == _name_key_by_slices(name)


NO_BAR = st.text(alphabet=st.characters(blacklist_characters="|"), max_size=20)


@given(
    NO_BAR,
    st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), max_size=2),
    st.lists(NO_BAR, max_size=3),
)
def test_search_document_parts_are_unique_lower_case_and_hold_the_phones(name, phones, extra):
    doc = search_document(name, phones, extra)
    parts = doc.split("|") if doc else []
    assert len(parts) == len(set(parts))
    assert doc == doc.lower()
    assert all(p in parts for p in phones)


# polyphonic characters (长 重 行 乐 都 调 藏 还 参 朝 会), the starts of phrases that are not
# phrases themselves, Latin letters and digits: the word-by-word reader must read as pypinyin
@given(
    st.text(
        alphabet="长重行乐银都调解会藏还参差朝阳郑州长城成都工程设计有限公司AB 1（）", max_size=24
    )
)
def test_the_bulk_pinyin_reader_reads_as_pypinyin(text):
    assert pinyin_by_words(text) == pinyin_forms.__wrapped__(text)


def test_imports_use_the_word_by_word_pinyin_reader():
    assert bulk_pinyin_reader() is pinyin_by_words


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFFF), max_size=30))
def test_half_width_maps_exactly_the_full_width_block(text):
    mapped = {0x3000: " ", **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}}
    assert to_half_width(text) == text.translate(mapped)
