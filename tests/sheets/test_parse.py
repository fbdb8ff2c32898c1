"""Cell values the way people type them, parsed to what Kehu stores (kehu.sheets.parse)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.sheets.parse import (
    EXCEL_EPOCH,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_tier,
    split_list,
    text,
)

FAST = settings(max_examples=50, deadline=None)

dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))
times = st.times().map(lambda t: t.replace(microsecond=0))


def _pad(n: int, padded: bool) -> str:
    return f"{n:02d}" if padded else str(n)


def written(d: date, style: str, padded: bool = True) -> str:
    """The date as people type it in a cell."""
    m, dd = _pad(d.month, padded), _pad(d.day, padded)
    if style == "年月日":
        return f"{d.year}年{m}月{dd}日"
    return f"{d.year}{style}{m}{style}{dd}"


DATE_STYLES = ["-", "/", ".", "年月日"]


def serial(d: date) -> int:
    return (d - EXCEL_EPOCH).days


# --- dates --------------------------------------------------------------------------------


@given(d=dates, style=st.sampled_from(DATE_STYLES), padded=st.booleans())
@FAST
def test_dates_typed_in_every_format_read_back_as_the_same_day(d, style, padded):
    typed = written(d, style, padded)
    assert parse_date(typed) == d
    assert parse_datetime(typed) == datetime.combine(d, time.min)


@given(d=dates, style=st.sampled_from(DATE_STYLES))
@FAST
def test_dates_typed_in_full_width_digits_read_back_as_the_same_day(d, style):
    full_width = written(d, style).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert parse_date(full_width) == d


@given(d=dates)
@FAST
def test_excel_serial_numbers_read_back_as_the_same_day(d):
    n = serial(d)
    assert parse_date(n) == d  # an int from a number cell
    assert parse_date(float(n)) == d  # a float from python-calamine
    assert parse_date(str(n)) == d  # a serial that came through a CSV as text
    assert parse_date(f"{n}.0") == d


@given(d=dates, t=times, style=st.sampled_from(["-", "/", "."]), sep=st.sampled_from([" ", "T"]))
@FAST
def test_dates_with_a_time_keep_the_time(d, t, style, sep):
    typed = f"{written(d, style)}{sep}{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    assert parse_datetime(typed) == datetime.combine(d, t)
    no_seconds = f"{written(d, style)}{sep}{t.hour}:{t.minute:02d}"
    assert parse_datetime(no_seconds) == datetime.combine(d, t.replace(second=0))


def test_date_and_datetime_cells_pass_through():
    assert parse_datetime(datetime(2023, 10, 15, 14, 30)) == datetime(2023, 10, 15, 14, 30)
    assert parse_datetime(date(2023, 10, 15)) == datetime(2023, 10, 15)
    assert parse_date(datetime(2023, 10, 15, 23, 59)) == date(2023, 10, 15)


def test_seed_sheet_dates():
    assert parse_date(45214) == date(2023, 10, 15)
    assert parse_datetime(45214.5) == datetime(2023, 10, 15, 12, 0)
    assert parse_datetime(45214 + (14 * 60 + 30) / 1440) == datetime(2023, 10, 15, 14, 30)
    assert parse_date("2023年10月15日") == date(2023, 10, 15)
    assert parse_date(" 2023 年 10 月 15 日 ") == date(2023, 10, 15)
    assert parse_datetime("2023年10月15日 14时30分00秒") == datetime(2023, 10, 15, 14, 30)
    assert parse_datetime("2023-10-15 14：30") == datetime(2023, 10, 15, 14, 30)


def test_a_month_alone_means_its_first_day():
    assert parse_date("2023-10") == date(2023, 10, 1)
    assert parse_date("2023年10月") == date(2023, 10, 1)


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-30",  # no such day
        "2023-13-01",
        "2023-10-15 25:00",
        "15/10/2023",  # day first is ambiguous, not guessed
        "明天",
        "",
        "abc",
        0,
        -1,
        3_000_000,  # past 9999-12-31
        "2023-10-15 14:30 下午",
    ],
)
def test_things_that_are_not_dates_are_refused_with_a_message(value):
    with pytest.raises(ValueError, match=r"\S"):
        parse_datetime(value)


def test_chinese_time_without_seconds_is_read():
    assert parse_datetime("2023年10月15日 14时30分") == datetime(2023, 10, 15, 14, 30)


def test_excel_serial_with_a_time_of_day_reads_the_exact_minute():
    assert parse_datetime(65545.025) == datetime(2079, 6, 14, 0, 36)


# --- amounts ------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False)
wan_amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


@given(amount=amounts)
@FAST
def test_amounts_with_thousands_separators_read_back_exactly(amount):
    assert parse_amount(f"{amount:,}") == amount
    assert parse_amount(f"{amount:,.2f}") == amount
    assert parse_amount(f"¥{amount:,}") == amount
    assert parse_amount(f"{amount:,}元") == amount
    assert parse_amount(f"{amount:,}".replace(",", "，")) == amount  # full-width commas


@given(amount=wan_amounts, unit=st.sampled_from(["万", "万元", " 万元", "W", "w"]))
@FAST
def test_wan_multiplies_by_ten_thousand(amount, unit):
    assert parse_amount(f"{amount}{unit}") == amount * 10000


@given(amount=wan_amounts)
@FAST
def test_wan_column_multiplies_plain_numbers_by_ten_thousand(amount):
    assert parse_amount(amount, unit_wan=True) == amount * 10000
    assert parse_amount(float(amount), unit_wan=True) == amount * 10000
    assert parse_amount(str(amount), unit_wan=True) == amount * 10000
    assert parse_amount(f"{amount}万元", unit_wan=True) == amount * 10000  # not twice
    assert parse_amount(f"{amount}元", unit_wan=True) == amount  # 元 typed in a 万元 column


@given(
    value=st.one_of(
        st.decimals(min_value=0, max_value=Decimal("99999999"), allow_nan=False),
        st.floats(min_value=0, max_value=99999999, allow_nan=False),
        st.integers(min_value=0, max_value=99999999),
    ),
    unit_wan=st.booleans(),
)
@FAST
def test_amounts_are_never_negative_and_always_have_two_places(value, unit_wan):
    result = parse_amount(value, unit_wan=unit_wan)
    assert result >= 0
    assert result.as_tuple().exponent == -2


@given(amount=st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("-0.01"), places=2))
@FAST
def test_negative_amounts_are_refused(amount):
    with pytest.raises(ValueError):
        parse_amount(amount)
    with pytest.raises(ValueError):
        parse_amount(f"{amount:,}")


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1,234.5", "1234.50"),
        ("12.5万", "125000.00"),
        ("12.5万元", "125000.00"),
        ("3000元", "3000.00"),
        ("¥1,234", "1234.00"),
        ("￥1，234", "1234.00"),
        ("RMB 800", "800.00"),
        ("5k", "5000.00"),
        ("3千", "3000.00"),
        ("0.005", "0.01"),  # half up
        (12.5, "12.50"),
        (0, "0.00"),
    ],
)
def test_amounts_as_people_type_them(typed, amount):
    assert parse_amount(typed) == Decimal(amount)
    assert str(parse_amount(typed)) == amount


@pytest.mark.parametrize("value", ["abc", "12.5亿", "1.2.3", "", "-5", "1e13", True, 1e12])
def test_things_that_are_not_amounts_are_refused_with_a_message(value):
    with pytest.raises(ValueError, match=r"\S"):
        parse_amount(value)


def test_minus_zero_is_read_as_zero():
    assert str(parse_amount("-0")) == "0.00"


# --- tiers --------------------------------------------------------------------------------


@given(
    label=st.sampled_from("ABC"),
    lower=st.booleans(),
    suffix=st.sampled_from(["", "级", "类", " 级", "类客户", "级客户"]),
    space=st.sampled_from(["", " ", "　"]),
)
@FAST
def test_tier_letters_are_read_in_any_case_with_or_without_a_suffix(label, lower, suffix, space):
    typed = f"{space}{label.lower() if lower else label}{suffix}{space}"
    assert parse_tier(typed) == label


@pytest.mark.parametrize(("typed", "tier"), [(1, "A"), (2, "B"), (3, "C"), ("1", "A"), (3.0, "C")])
def test_tier_numbers_count_from_the_top(typed, tier):
    assert parse_tier(typed) == tier


def test_tier_numbers_follow_the_tiers_given():
    tiers = ("A", "B", "C", "D", "E")
    assert [parse_tier(n, tiers) for n in range(1, 6)] == list(tiers)
    assert parse_tier("重点") == "A" and parse_tier("普通") == "C"


@pytest.mark.parametrize(
    "value", ["D", "d级", "4", 4, 0, "0", "AB", "A+", "优", "", None, "6", "F", True, "1.5"]
)
def test_anything_else_is_not_a_tier(value):
    with pytest.raises(ValueError, match="A/B/C"):
        parse_tier(value)


# --- lists --------------------------------------------------------------------------------

words = st.text(
    alphabet=st.sampled_from("需求急迫价格敏感竞品客户老VIPab12"), min_size=1, max_size=6
)
separators = st.sampled_from(["、", ",", "，", ";", "；", " 、 ", ",,", "、、", ", ;"])


@given(data=st.data(), names=st.lists(words, min_size=1, max_size=8))
@FAST
def test_split_list_keeps_order_drops_blanks_and_repeats(data, names):
    typed = ""
    for name in names:
        typed += data.draw(separators) + name if typed else name
    typed = data.draw(st.sampled_from(["", "、", " "])) + typed + data.draw(separators)
    assert split_list(typed) == list(dict.fromkeys(names))


def test_split_list_on_the_seed_tags():
    assert split_list("需求急迫、价格敏感; 竞品客户") == ["需求急迫", "价格敏感", "竞品客户"]
    assert split_list("需求急迫，需求急迫，价格敏感") == ["需求急迫", "价格敏感"]
    assert split_list("VIP/老客户|重点") == ["VIP", "老客户", "重点"]
    assert split_list(None) == [] and split_list("") == [] and split_list(" 、 ") == []


def test_split_list_splits_lines_of_a_multi_line_cell():
    assert split_list("需求急迫\n价格敏感") == ["需求急迫", "价格敏感"]


def test_split_list_splits_on_full_width_slash_and_bar():
    assert split_list("VIP／老客户｜重点") == ["VIP", "老客户", "重点"]


# --- text ---------------------------------------------------------------------------------


def test_a_phone_typed_into_a_number_cell_reads_as_its_digits():
    assert text(13812345678.0) == "13812345678"
    assert text(13812345678) == "13812345678"


@given(n=st.integers(min_value=-(2**53), max_value=2**53))
@FAST
def test_whole_floats_read_without_a_decimal_point(n):
    assert text(float(n)) == str(n)


def test_text_of_other_cells():
    assert text(None) == ""
    assert text(12.5) == "12.5"
    assert text(date(2023, 10, 15)) == "2023-10-15"
    assert text(datetime(2023, 10, 15, 14, 30, 5)) == "2023-10-15 14:30"
    assert text("  杭州　云帆   科技 ") == "杭州 云帆 科技"
    assert text("ＡＢＣ１２３") == "ABC123"
    assert text(True) and text(False) and text(True) != text(False)


@given(when=st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 12, 31)))
@FAST
def test_text_of_a_datetime_parses_back_to_the_minute(when):
    assert parse_datetime(text(when)) == when.replace(second=0, microsecond=0)
    assert parse_date(text(when.date())) == when.date()


def test_serial_epoch_matches_excel():
    assert EXCEL_EPOCH + timedelta(days=45214) == date(2023, 10, 15)
