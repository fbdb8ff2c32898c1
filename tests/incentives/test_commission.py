"""Commission as pure functions: payouts worked out by hand, and the properties every plan
keeps (monotone in the actual, never above the cap, nothing for nothing, Decimal in and out)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kehu.incentives import commission
from kehu.incentives.commission import Plan

D = Decimal
TIERED = [(0, 0), (80, 3), (100, 5)]  # under 80% nothing, 80–100% 3%, over 100% 5%


def pay(actual, target="100000", **plan):
    bands = plan.pop("bands", TIERED)
    return commission.commission(D(actual), D(target), Plan.of(bands, **plan))


# --- by hand --------------------------------------------------------------------------------
def test_whole_mode_pays_the_band_reached_on_everything():
    assert pay("90000").amount == D("2700.00")  # 90% → 3% of 90,000
    assert pay("79999.99").amount == D("0.00")
    assert pay("80000").amount == D("2400.00")  # the band starts at its threshold
    assert pay("99999.99").amount == D("3000.00")  # 2,999.9997 → 3,000.00
    assert pay("100000").amount == D("5000.00")  # a band applies from its threshold on
    assert pay("120000").amount == D("6000.00")


def test_whole_mode_reports_band_rate_and_base():
    result = pay("90000")
    assert (result.band, result.rate, result.attainment) == (2, D(3), D("90.0"))
    [line] = result.lines
    assert (line.band, line.rate, line.base, line.amount) == (2, D(3), D("90000.00"), D("2700.00"))


def test_marginal_mode_pays_each_slice_at_its_own_rate():
    # 0–80,000 at 0%; 80,000–100,000 at 3% = 600; 100,000–120,000 at 5% = 1,000
    result = pay("120000", mode="marginal")
    assert result.amount == D("1600.00")
    assert [(line.band, line.base, line.amount) for line in result.lines] == [
        (1, D("80000.00"), D("0.00")),
        (2, D("20000.00"), D("600.00")),
        (3, D("20000.00"), D("1000.00")),
    ]
    assert pay("90000", mode="marginal").amount == D("300.00")  # 10,000 × 3%


def test_accelerator_multiplies_the_rate_above_target():
    # whole: 120% → 5% × 1.5 = 7.5% of 120,000
    assert pay("120000", accelerator="1.5").amount == D("9000.00")
    assert pay("100000", accelerator="1.5").amount == D("5000.00")  # at 100%: not above
    # marginal: 600 (80–100%) + 20,000 × 7.5% = 1,500
    result = pay("120000", mode="marginal", accelerator="1.5")
    assert result.amount == D("2100.00")
    assert result.lines[-1].accelerated and result.lines[-1].rate == D("7.5")


def test_accelerator_splits_a_marginal_band_that_crosses_the_target():
    # one band from 80%: 80,000–100,000 at 4%, 100,000–110,000 at 4% × 2
    result = pay("110000", bands=[(80, 4)], mode="marginal", accelerator=2)
    assert [line.amount for line in result.lines] == [D("800.00"), D("800.00")]
    assert result.amount == D("1600.00")


def test_payout_cap():
    result = pay("2000000", cap_amount="50000")  # 5% of 2,000,000 = 100,000 → 50,000
    assert result.amount == D("50000.00") and result.capped
    assert not pay("120000", cap_amount="50000").capped


def test_attainment_cap_counts_the_actual_up_to_it():
    # 200% attained, counted as 150%: 5% of 150,000
    result = pay("200000", cap_percent="150")
    assert result.amount == D("7500.00")
    assert result.counted == D("150000.00") and result.capped_attainment
    assert result.attainment == D("200.0")  # the report still shows the real attainment
    assert pay("200000", mode="marginal", cap_percent="150").amount == D("3100.00")


def test_no_target_no_payout():
    result = pay("50000", target="0")
    assert result.amount == D("0.00") and result.attainment is None and result.band is None


def test_half_up_rounding_to_the_cent():
    # 3% of 80,000.50 = 2,400.015 → 2,400.02 (half up, not to even)
    assert pay("80000.50").amount == D("2400.02")


def test_examples_at_a_glance():
    plan = Plan.of(TIERED, accelerator="1.2", cap_amount="50000")
    table = {p: r.amount for p, _actual, r in commission.examples(plan)}
    assert table == {
        50: D("0.00"),
        80: D("2400.00"),
        100: D("5000.00"),
        120: D("7200.00"),  # 6% of 120,000
        150: D("9000.00"),
    }


@pytest.mark.parametrize(
    ("bands", "field"),
    [
        ([(0, 0), (80, 5), (100, 3)], "band 3: rate"),
        ([(0, 0), (80, 3), (80, 5)], "band 3: from"),
        ([(0, 0), (80, 120)], "band 2: rate"),
        ([(-5, 0)], "band 1: from"),
        ([], "bands"),
    ],
)
def test_unusable_plans_are_named_and_refused(bands, field):
    plan = Plan.of(bands)
    assert field in [f for f, _problem in commission.problems(plan)]
    with pytest.raises(ValueError):
        commission.commission(D(1), D(1), plan)


def test_accelerator_below_one_is_refused():
    assert ("accelerator", "range") in commission.problems(Plan.of(TIERED, accelerator="0.8"))


# --- properties -----------------------------------------------------------------------------
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value="0.01", max_value=10**9, places=2, allow_nan=False)


@st.composite
def plans(draw):
    """Any usable plan: thresholds rising, rates never falling, either mode, caps or none."""
    froms = draw(
        st.lists(
            st.decimals(min_value=0, max_value=300, places=1), min_size=1, max_size=6, unique=True
        )
    )
    rates = draw(
        st.lists(
            st.decimals(min_value=0, max_value=100, places=2),
            min_size=len(froms),
            max_size=len(froms),
        )
    )
    bands = list(zip(sorted(froms), sorted(rates), strict=True))
    return Plan.of(
        bands,
        mode=draw(st.sampled_from([commission.WHOLE, commission.MARGINAL])),
        accelerator=draw(st.decimals(min_value=1, max_value=3, places=2)),
        cap_amount=draw(st.none() | positive),
        cap_percent=draw(st.none() | st.decimals(min_value="0.1", max_value=500, places=1)),
    )


@given(plans(), positive, money, money)
def test_commission_is_monotone_in_the_actual(plan, target, a, b):
    low, high = sorted((a, b))
    assert commission.commission(low, target, plan).amount <= (
        commission.commission(high, target, plan).amount
    )


@given(plans(), positive, money)
def test_commission_never_exceeds_the_cap(plan, target, actual):
    result = commission.commission(actual, target, plan)
    if plan.cap_amount is not None:
        assert result.amount <= plan.cap_amount
    if plan.cap_percent is not None:
        # nothing is earned on the actual beyond the attainment cap
        limit = target * plan.cap_percent / 100
        assert result.amount == commission.commission(min(actual, limit), target, plan).amount


@given(plans(), st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_zero_actual_pays_nothing(plan, target):
    assert commission.commission(D(0), target, plan).amount == D("0.00")


@given(plans(), positive, money)
def test_decimal_in_decimal_out_to_the_cent(plan, target, actual):
    result = commission.commission(actual, target, plan)
    assert isinstance(result.amount, Decimal)
    assert result.amount == result.amount.quantize(D("0.01"))
    assert result.amount >= 0
    assert result.amount == min(
        sum((line.amount for line in result.lines), D(0)), plan.cap_amount or D("Infinity")
    )


@given(plans(), positive, money)
def test_marginal_never_pays_more_than_whole(plan, target, actual):
    """With rates never falling, paying each slice at its own rate is at most paying the
    top rate on everything (up to the cent of rounding per slice)."""
    assume(plan.mode == commission.MARGINAL)
    whole = Plan.of(plan.bands, "whole", plan.accelerator, plan.cap_amount, plan.cap_percent)
    marginal = commission.commission(actual, target, plan).amount
    slices = len(commission.commission(actual, target, plan).lines)
    assert marginal <= commission.commission(actual, target, whole).amount + D("0.01") * slices
