"""Commission (提成) as pure functions on plain data: no database, no request.

A plan is a list of bands by attainment (actual ÷ target, in %), each with a rate (% of the
actual), read in one of two ways:

- "whole": the rate of the highest band reached applies to the whole actual (80% attained at
  3%: 3% of everything). Rates must not fall from one band to the next, or selling one more
  yuan could lower the payout.
- "marginal": each band's rate applies only to the slice of the actual that falls inside it,
  like tax brackets.

Above 100% attainment the rate is multiplied by the accelerator (whole: the multiplied rate
applies to the whole actual; marginal: to the slice above the target). A cap limits the
attainment counted (e.g. 150%: sales beyond 1.5 × target earn nothing more) and/or the payout
itself (CNY). Each line is rounded to the cent (ROUND_HALF_UP) and the payout is their sum, so
the report's breakdown always adds up to the total.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
WHOLE, MARGINAL = "whole", "marginal"
MAX_ACCELERATOR = Decimal(10)


@dataclass(frozen=True)
class Band:
    from_percent: Decimal  # attainment (%) from which the band applies
    rate: Decimal  # % of the actual


@dataclass(frozen=True)
class Plan:
    bands: tuple[Band, ...]
    mode: str = WHOLE
    accelerator: Decimal = Decimal(1)  # multiplies the rate above 100% attainment
    cap_amount: Decimal | None = None  # the most one person earns in a period (CNY)
    cap_percent: Decimal | None = None  # the most attainment counted (%)

    @classmethod
    def of(cls, bands, mode=WHOLE, accelerator=1, cap_amount=None, cap_percent=None) -> "Plan":
        """A plan from plain values: bands as (from %, rate %) pairs or Band objects."""
        rows = tuple(
            b if isinstance(b, Band) else Band(Decimal(str(b[0])), Decimal(str(b[1])))
            for b in bands
        )
        return cls(
            bands=rows,
            mode=mode,
            accelerator=Decimal(str(accelerator)),
            cap_amount=None if cap_amount is None else Decimal(str(cap_amount)),
            cap_percent=None if cap_percent is None else Decimal(str(cap_percent)),
        )


@dataclass(frozen=True)
class Line:
    """One part of a payout: `base` (CNY) paid at `rate` (%) under band `band` (1-based)."""

    band: int
    from_percent: Decimal
    to_percent: Decimal | None  # None: no upper end (whole mode, or the last band)
    rate: Decimal  # after the accelerator
    base: Decimal
    amount: Decimal
    accelerated: bool = False


@dataclass(frozen=True)
class Payout:
    amount: Decimal
    attainment: Decimal | None  # %, to one place; None without a target
    counted: Decimal  # the actual counted after the attainment cap
    band: int | None  # the highest band reached (1-based); None below the first one
    rate: Decimal  # the rate of that band, after the accelerator
    lines: list[Line] = field(default_factory=list)
    capped: bool = False  # the payout cap cut the amount
    capped_attainment: bool = False  # the attainment cap cut the actual counted


def problems(plan: Plan) -> list[tuple[str, str]]:
    """What is wrong with a plan, as (field, problem) pairs; the field names the band by its
    1-based number ("band 2: rate"). Empty when the plan is usable. Messages are English
    here; services.py translates them."""
    out: list[tuple[str, str]] = []
    if plan.mode not in (WHOLE, MARGINAL):
        out.append(("mode", "unknown"))
    if not plan.bands:
        out.append(("bands", "empty"))
    previous = None
    for n, band in enumerate(plan.bands, start=1):
        if band.from_percent < 0:
            out.append((f"band {n}: from", "negative"))
        if band.rate < 0 or band.rate > HUNDRED:
            out.append((f"band {n}: rate", "range"))
        if previous is not None:
            if band.from_percent <= previous.from_percent:
                out.append((f"band {n}: from", "not_increasing"))
            if band.rate < previous.rate:
                out.append((f"band {n}: rate", "falling"))
        previous = band
    if plan.accelerator < 1 or plan.accelerator > MAX_ACCELERATOR:
        out.append(("accelerator", "range"))
    if plan.cap_amount is not None and plan.cap_amount <= 0:
        out.append(("cap_amount", "positive"))
    if plan.cap_percent is not None and plan.cap_percent <= 0:
        out.append(("cap_percent", "positive"))
    return out


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line(n, band, to_percent, rate, base, accelerated=False) -> Line:
    return Line(
        band=n,
        from_percent=band.from_percent,
        to_percent=to_percent,
        rate=rate,
        base=_cents(base),
        amount=_cents(base * rate / HUNDRED),
        accelerated=accelerated,
    )


def commission(actual: Decimal, target: Decimal, plan: Plan) -> Payout:
    """The payout for `actual` against `target` under `plan` (see the module docstring).
    No target (or a zero one): nothing, since attainment is undefined. A negative actual
    (returns booked against the period) counts as zero."""
    if problems(plan):
        raise ValueError(f"unusable commission plan: {problems(plan)}")
    actual = max(Decimal(actual), ZERO)
    target = Decimal(target or 0)
    if target <= 0:
        return Payout(amount=_cents(ZERO), attainment=None, counted=actual, band=None, rate=ZERO)
    counted = actual
    if plan.cap_percent is not None:
        counted = min(actual, target * plan.cap_percent / HUNDRED)
    bands: Sequence[Band] = plan.bands
    # the highest band whose threshold the counted actual reaches (no division: exact)
    reached = None
    for n, band in enumerate(bands, start=1):
        if counted * HUNDRED >= target * band.from_percent:
            reached = n
    above = counted > target  # attainment above 100%: the accelerator applies
    lines: list[Line] = []
    rate = ZERO
    if reached is not None:
        band = bands[reached - 1]
        rate = band.rate * plan.accelerator if above else band.rate
        if plan.mode == WHOLE:
            lines.append(_line(reached, band, None, rate, counted, accelerated=above))
        else:
            lines = _marginal(counted, target, plan)
    amount = sum((line.amount for line in lines), ZERO)
    capped = plan.cap_amount is not None and amount > plan.cap_amount
    if capped:
        amount = plan.cap_amount
    return Payout(
        amount=_cents(amount),
        attainment=(actual * HUNDRED / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        counted=_cents(counted),
        band=reached,
        rate=rate,
        lines=lines,
        capped=capped,
        capped_attainment=counted < actual,
    )


def _marginal(counted: Decimal, target: Decimal, plan: Plan) -> list[Line]:
    """Each band's rate on the slice of `counted` between its threshold and the next one's;
    a slice crossing 100% of target is split, the part above at the accelerated rate."""
    lines = []
    bands = plan.bands
    for n, band in enumerate(bands, start=1):
        low = target * band.from_percent / HUNDRED
        nxt = bands[n].from_percent if n < len(bands) else None
        high = counted if nxt is None else min(counted, target * nxt / HUNDRED)
        if high <= low:
            continue
        pieces = [(low, high, False)]
        if plan.accelerator != 1 and low < target < high:
            pieces = [(low, target, False), (target, high, True)]
        elif low >= target:
            pieces = [(low, high, True)]
        for start, end, accelerated in pieces:
            rate = band.rate * plan.accelerator if accelerated else band.rate
            lines.append(_line(n, band, nxt, rate, end - start, accelerated and rate != band.rate))
    return lines


EXAMPLE_TARGET = Decimal(100_000)
EXAMPLE_PERCENTS = (50, 80, 100, 120, 150)


def examples(plan: Plan, target: Decimal = EXAMPLE_TARGET, percents=EXAMPLE_PERCENTS):
    """(attainment %, actual, payout) at a few attainments: what the plan pays, at a glance."""
    out = []
    for percent in percents:
        actual = target * percent / HUNDRED
        out.append((percent, actual, commission(actual, target, plan)))
    return out
