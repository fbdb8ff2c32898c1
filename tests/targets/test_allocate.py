"""Splitting a target: the parts always add up exactly to the parent, never go negative, and
follow the weights to within one step (a cent, or one customer)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.targets import allocate, periods

money = st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False)
weights = st.lists(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False), min_size=1, max_size=30
)


@given(money, weights)
def test_parts_add_up_to_the_cent_and_are_never_negative(total, w):
    parts = allocate.split(total, w)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)


@given(st.integers(min_value=0, max_value=10**6), weights)
def test_counts_split_in_whole_units(total, w):
    parts = allocate.split(Decimal(total), w, allocate.ONE)
    assert sum(parts) == total
    assert all(p == int(p) for p in parts)


@given(money, weights)
def test_each_part_is_within_one_cent_of_its_exact_share(total, w):
    parts = allocate.split(total, w)
    whole = sum(w) or len(w)
    for part, weight in zip(parts, w if sum(w) else [1] * len(w), strict=True):
        assert abs(part - total * weight / whole) < Decimal("0.01")


@given(money, st.lists(money, min_size=2, max_size=12), st.data())
def test_a_manual_part_rebalances_the_others_and_keeps_the_total(total, amounts, data):
    index = data.draw(st.integers(min_value=0, max_value=len(amounts) - 1))
    value = data.draw(st.decimals(min_value=0, max_value=total, places=2))
    parts = allocate.rebalance(total, amounts, index, value)
    assert parts[index] == value
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)


def test_the_largest_remainders_get_the_odd_cents():
    assert allocate.split(Decimal("100"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert allocate.split(Decimal("10"), [0, 0]) == [Decimal("5.00"), Decimal("5.00")]
    # 3.5, 1.75, 1.75: the two .75 remainders get the two units left
    assert allocate.split(Decimal("7"), [2, 1, 1], allocate.ONE) == [3, 2, 2]


def test_a_manual_part_over_the_parent_is_refused():
    with pytest.raises(allocate.TooLarge):
        allocate.rebalance(Decimal(100), [Decimal(50), Decimal(50)], 0, Decimal("100.01"))


def test_periods_nest_and_name_themselves():
    from datetime import date

    assert periods.children("year", date(2026, 1, 1)) == [
        ("quarter", date(2026, 1, 1)),
        ("quarter", date(2026, 4, 1)),
        ("quarter", date(2026, 7, 1)),
        ("quarter", date(2026, 10, 1)),
    ]
    assert periods.end("quarter", date(2026, 10, 1)) == date(2026, 12, 31)
    assert periods.end("month", date(2028, 2, 1)) == date(2028, 2, 29)
    assert periods.parse("quarter", "2026-q3", date(2026, 1, 5)) == date(2026, 7, 1)
    assert periods.parse("month", "nonsense", date(2026, 5, 17)) == date(2026, 5, 1)
    assert periods.key("quarter", date(2026, 7, 1)) == "2026-Q3"
    assert periods.elapsed_share("month", date(2026, 4, 1), date(2026, 4, 15)) == Decimal(15) / 30
