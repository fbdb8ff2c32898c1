"""Bad cells and bad files (hypothesis): whatever a sheet holds — any text, NUL bytes, NaN and
infinities, numbers with a billion-digit exponent, booleans, dates out of range, random bytes
named .csv or .xlsx — the import parsers either read a value or refuse with a ValueError that
carries a message for the person who typed it (the importer shows it with the row and the
column). Nothing else may escape: any other exception would fail the whole upload.

tests/sheets/test_parse.py checks the values read; this file only what comes back from junk.
Examples per test: 30 by default (derandomized); KEHU_FUZZ_EXAMPLES=500 (`make fuzz`) runs more."""

import math
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.core.text import is_valid_email, is_valid_phone, normalize_email, normalize_phone
from kehu.sheets import parse
from kehu.sheets.customer_rows import CustomerRowReader, ParsedRow, decode_rows, encode_rows
from kehu.sheets.kinds import CUSTOMERS
from kehu.sheets.reader import (
    SheetError,
    guess_mapping,
    header_key,
    header_unit,
    match_header,
    read_rows,
)
from tests.fuzzing import fuzz

odd_text = st.sampled_from(
    [
        "NaN",
        "nan",
        "-NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        "9" * 400,
        "0" * 50 + "1",
        "1E+18",
        "99999",
        "2958466",
        "0.5",
        "-0",
        "+86 138-1234-5678 转 123456789",
        "¥",
        "万",
        "1.5万万",
        "１２３，４５６元",
        "2023年13月45日",
        "9999-12-31 23:59:60",
        "0000-01-01",
        "10000-01-01",
        "٢٠٢٣-١٠-١٥",  # Arabic-Indic digits: \d matches them
        "१२३",
        "A级客户",
        "F",
        "0",
        "6",
        "\x00",
        "a\x00b",
        "、、,,；",
        "\u202e\u200b\ufeff",
        '=HYPERLINK("x")',
        "x" * 5000,
    ]
)
text_cells = st.one_of(st.text(max_size=60), odd_text)
number_cells = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
cells = st.one_of(
    st.none(),
    st.booleans(),
    text_cells,
    number_cells,
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
)


def refused_cleanly(call, *args, **kwargs):
    """The call's value, or None when it refused with a message; anything else fails."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        assert str(exc).strip(), f"{call.__name__}{args!r}: a refusal without a message"
        return None


# --- cells ---------------------------------------------------------------------------------
@given(value=cells)
@fuzz
def test_dates(value):
    result = refused_cleanly(parse.parse_datetime, value)
    assert result is None or isinstance(result, datetime)
    result = refused_cleanly(parse.parse_date, value)
    assert result is None or isinstance(result, date)


@given(value=cells, unit_wan=st.booleans())
@fuzz
def test_amounts(value, unit_wan):
    amount = refused_cleanly(parse.parse_amount, value, unit_wan=unit_wan)
    if amount is not None:
        assert amount.is_finite()
        assert Decimal(0) <= amount < Decimal("1e12")
        assert amount == amount.quantize(Decimal("0.01"))


@given(value=cells, low=st.sampled_from([None, 0, 1]), high=st.sampled_from([None, 5, 36500]))
@fuzz
def test_whole_numbers(value, low, high):
    number = refused_cleanly(parse.parse_int, value, low=low, high=high)
    if number is not None:
        assert isinstance(number, int)
        assert low is None or number >= low
        assert high is None or number <= high


@given(value=cells, tiers=st.sampled_from([("A", "B", "C"), ("A", "B", "C", "D", "E"), ("A",)]))
@fuzz
def test_tiers(value, tiers):
    tier = refused_cleanly(parse.parse_tier, value, tiers)
    assert tier is None or tier in tiers


@given(value=cells)
@fuzz
def test_tags_and_text(value):
    tags = parse.split_list(value)
    assert all(isinstance(t, str) and t and t == t.strip() for t in tags)
    assert len(tags) == len(set(tags))
    assert isinstance(parse.text(value), str)


@given(value=cells)
@fuzz
def test_coded_choices(value):
    options = {"lead": "lead", "线索": "lead", "customer": "customer", "成交客户": "customer"}
    code = refused_cleanly(parse.choice, value, options)
    assert code is None or code in options.values()


@given(value=cells)
@fuzz
def test_phones_and_emails(value):
    raw = parse.text(value)
    phone = normalize_phone(raw)
    assert isinstance(phone, str)
    assert isinstance(is_valid_phone(phone), bool)
    email = normalize_email(raw)
    assert isinstance(is_valid_email(email), bool)


# --- headers and files ---------------------------------------------------------------------
@given(value=cells)
@fuzz
def test_header_cells(value):
    synonyms = CUSTOMERS.synonyms()
    assert isinstance(header_key(value), str)
    assert isinstance(header_unit(value), str)
    field = match_header(value, synonyms)
    assert field is None or field in synonyms.values()


header_names = st.sampled_from(
    [
        "客户名称",
        "公司名称",
        "Customer",
        "联系方式",
        "电话",
        "客户分级",
        "历史合作金额（万元）",
        "标签",
    ]
)


@given(rows=st.lists(st.lists(st.one_of(cells, header_names), max_size=12), max_size=25))
@fuzz
def test_header_detection(rows):
    mapping = refused_cleanly(guess_mapping, rows, CUSTOMERS.synonyms())
    if mapping is not None:
        assert 0 <= mapping.header_row < len(rows)
        assert len(mapping.fields) == len(rows[mapping.header_row])
        named = [f for f in mapping.fields if f]
        assert named and len(named) == len(set(named))


@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(max_size=300).map(lambda t: t.encode("gb18030", "replace")),
        st.binary(max_size=400).map(lambda b: b"PK\x03\x04" + b),  # looks like a zip
    ),
    name=st.sampled_from(["客户.csv", "客户.xlsx", "客户.xls", "客户.ods", "客户.txt", "客户.pdf"]),
)
@fuzz
def test_files(data, name):
    try:
        rows = list(read_rows(data, name))
    except SheetError as exc:
        assert str(exc).strip()
        return
    assert all(isinstance(row, list) for row in rows)
    refused_cleanly(guess_mapping, rows, CUSTOMERS.synonyms())


# --- a whole row of the customer sheet -----------------------------------------------------
@pytest.fixture
def reader(people):
    keys = [c.key for c in CUSTOMERS.columns]
    headers = [
        f"{c.label}（万元）" if c.key == "cooperation_amount" else str(c.label)
        for c in CUSTOMERS.columns
    ]
    return CustomerRowReader(people.director, {"headers": headers, "fields": keys})


def test_a_row_of_junk_is_read_or_refused_cell_by_cell(reader):
    width = len(reader.fields)

    @fuzz
    @given(row=st.lists(cells, min_size=0, max_size=width + 2))
    def check(row):
        parsed = reader.read(7, row)
        assert isinstance(parsed, ParsedRow)
        for problem in parsed.problems:
            assert problem.message.strip()
            assert isinstance(problem.column, str)
        for value in parsed.values.values():
            if isinstance(value, Decimal):
                assert value.is_finite()
            if isinstance(value, float):
                assert math.isfinite(value)

    check()


def _read(parsed: ParsedRow) -> tuple:
    return (
        parsed.values,
        parsed.contact,
        parsed.tags,
        parsed.key_id,
        [(p.column, p.message) for p in parsed.problems],
    )


def test_a_cell_seen_before_reads_as_the_first_time(reader):
    """Each column remembers the cells it parsed (a sheet repeats owners, tiers, dates): a row
    reads the same from a reader that has seen its cells, and from one that has not."""

    @fuzz
    @given(rows=st.lists(st.lists(cells, max_size=len(reader.fields)), min_size=1, max_size=4))
    def check(rows):
        for row in rows:
            seen = reader.read(7, row)
            for *_rest, memo in reader.readers:
                memo.clear()
            assert _read(seen) == _read(reader.read(7, row))

    check()


def test_rows_with_the_same_cells_do_not_share_what_they_hold(reader):
    at = {f: i for i, f in enumerate(reader.fields)}
    cells = [None] * len(reader.fields)
    cells[at["name"]], cells[at["tags"]], cells[at["tier"]] = "云帆科技", "老客户、价格敏感", "Z"
    first, second = reader.read(2, list(cells)), reader.read(3, list(cells))
    first.tags.append("改过")
    assert second.tags == ["老客户", "价格敏感"]
    # the remembered refusal is every such row's own problem
    assert [p.message for p in first.problems] == [p.message for p in second.problems]
    assert first.problems and first.problems[0] is not second.problems[0]


def test_one_and_one_point_zero_and_true_are_told_apart(reader):
    at = {f: i for i, f in enumerate(reader.fields)}

    def satisfaction(value):
        cells = [None] * len(reader.fields)
        cells[at["name"]], cells[at["satisfaction"]] = "云帆科技", value
        row = reader.read(2, cells)
        return row.values.get("satisfaction"), [p.message for p in row.problems]

    assert satisfaction(1) == (1, [])
    assert satisfaction(1.0) == (1, [])
    assert satisfaction(True)[1]  # a ticked box is not a score, though True == 1
    assert satisfaction(1) == (1, [])


# --- what the fuzzing found ----------------------------------------------------------------
@pytest.mark.parametrize("value", [float("nan"), Decimal("NaN"), Decimal("sNaN")])
def test_a_nan_amount_is_refused_with_a_message(value):
    with pytest.raises(ValueError, match=r"\S"):
        parse.parse_amount(value)


@pytest.mark.parametrize(
    "value", ["Infinity", "-inf", float("inf"), "NaN", "1e999999999", "-1e999999999", 10**40]
)
def test_a_whole_number_out_of_any_range_is_refused_with_a_message(value):
    with pytest.raises(ValueError, match=r"\S"):
        parse.parse_int(value)


@pytest.mark.parametrize(
    "data", [b"a,b\rc,d\re", b'"a\rb",c\n\r\nx,"y', b"\xef\xbb\xbfa,\rb\x00,c"]
)
def test_a_csv_with_stray_carriage_returns_is_read_or_refused_with_a_message(data):
    """A lone \\r ended in csv.Error ("new-line character seen in unquoted field"), a 500."""
    try:
        rows = list(read_rows(data, "客户.csv"))
    except SheetError as exc:
        assert str(exc).strip()
    else:
        assert all(isinstance(row, list) for row in rows)


def test_the_rows_a_dry_run_keeps_come_back_as_they_were_read(reader):
    width = len(reader.fields)

    @fuzz
    @given(rows=st.lists(st.lists(cells, min_size=0, max_size=width), min_size=1, max_size=4))
    def check(rows):
        read = [reader.read(n, cells) for n, cells in enumerate(rows, start=2)]
        kept = decode_rows(encode_rows(read), reader)
        assert [
            (r.number, r.values, r.contact, r.tags, r.key_id, r.name_key, r.problems) for r in kept
        ] == [
            (r.number, r.values, r.contact, r.tags, r.key_id, r.name_key, r.problems) for r in read
        ]

    check()


def test_kept_rows_keep_each_time_with_its_own_offset(reader):
    """Times are written once per distinct value; two aware times at one instant in two
    offsets are equal but are kept as each was."""
    from datetime import UTC, timedelta, timezone

    local = datetime(2024, 3, 1, 9, 30)
    utc = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)
    shanghai = utc.astimezone(timezone(timedelta(hours=8)))
    read = [
        ParsedRow(n, {"name": f"客户{n}", "last_contact_at": t})
        for n, t in enumerate([local, utc, local, shanghai], start=2)
    ]
    kept = decode_rows(encode_rows(read), reader)
    assert [r.values["last_contact_at"] for r in kept] == [local, utc, local, shanghai]
    assert [r.values["last_contact_at"].utcoffset() for r in kept] == [
        None,
        timedelta(0),
        None,
        timedelta(hours=8),
    ]
