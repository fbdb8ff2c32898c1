"""Splitting a target among its children: pure functions on Decimals.

Every split adds up exactly to the total, in steps of a cent (money) or of one (counts), by
largest remainder: each child first gets its exact share rounded down to the step, then the
steps left over go to the children with the largest remainders (ties: the earlier child)."""

from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")
ONE = Decimal(1)


class TooLarge(ValueError):
    """A manual amount bigger than what its parent has left."""


def split(total: Decimal, weights: list, step: Decimal = CENT) -> list[Decimal]:
    """`total` in proportion to `weights` (non-negative; all zero → equal shares)."""
    total = Decimal(total)
    if total < 0:
        raise ValueError("negative total")
    n = len(weights)
    if n == 0:
        return []
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("negative weight")
    whole = sum(weights)
    if whole == 0:
        weights, whole = [ONE] * n, Decimal(n)
    units = int((total / step).to_integral_value(ROUND_DOWN))
    exact = [Decimal(units) * w / whole for w in weights]
    floors = [int(e.to_integral_value(ROUND_DOWN)) for e in exact]
    left = units - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * step for f in floors]


def rebalance(total: Decimal, amounts: list, index: int, value, step: Decimal = CENT) -> list:
    """Sets child `index` to `value` and spreads what is left of `total` over the others in
    proportion to their current amounts, so the children still add up to `total`. A value over
    the total is refused."""
    value = Decimal(value).quantize(step, ROUND_DOWN)
    total = Decimal(total)
    if value < 0:
        raise ValueError("negative amount")
    if value > total:
        raise TooLarge(value)
    others = [a for i, a in enumerate(amounts) if i != index]
    if not others and value != total:
        raise ValueError("an only child is its parent's whole amount")
    spread = split(total - value, others, step)
    spread.insert(index, value)
    return spread
