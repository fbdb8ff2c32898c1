"""The tiering maths (C2), as pure functions over NumPy columns: one row per customer, one column
per criterion. No Django here: the metric layer reads the raw columns set-based, these functions
turn them into 0–100 scores and tiers, and the same functions explain a single customer.

A policy is
- criteria: each a raw metric, a weight (the weights add up to 100), a normalisation to 0–1
  (min-max, percentile rank or thresholds) and a direction (higher or lower is better);
- tiers: ordered labels, best first, cut off either by score (A from 80, B from 50, C below)
  or by share (top 20% A, next 30% B, the rest C).
"""

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

MINMAX = "minmax"
PERCENTILE = "percentile"
THRESHOLDS = "thresholds"
NORMALISATIONS = (MINMAX, PERCENTILE, THRESHOLDS)
BY_SCORE = "score"
BY_SHARE = "share"


class PolicyError(ValueError):
    """A policy that cannot be scored; `errors` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class Criterion:
    metric: str
    weight: float
    normalisation: str = MINMAX
    higher_is_better: bool = True
    # THRESHOLDS: ascending raw values with the normalised value reached at each,
    # e.g. ((100_000, 0.5), (500_000, 1.0)): below 100k → 0, from 100k 0.5, from 500k 1.
    thresholds: tuple[tuple[float, float], ...] = ()
    # MINMAX: fixed bounds (None: the observed min/max of this run)
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Tier:
    label: str
    value: float  # BY_SCORE: the lowest score in the tier; BY_SHARE: the share of customers (0–1)


@dataclass(frozen=True)
class Policy:
    criteria: tuple[Criterion, ...]
    tiers: tuple[Tier, ...]  # best first; the last BY_SCORE tier takes everything below
    cutoff: str = BY_SCORE


@dataclass
class Explanation:
    rows: list[dict] = field(default_factory=list)  # metric, raw, normalised, weight, contribution
    score: float = 0.0
    tier: str = ""
    next_tier: str | None = None
    gap: float | None = None  # score points missing to reach next_tier (None at the top)


def validate(policy: Policy) -> None:
    """Raises PolicyError naming what is wrong: weights that do not add up to 100, unknown
    normalisations, thresholds out of order, empty or overlapping tiers."""
    errors: dict[str, list[str]] = {}
    if not policy.criteria:
        errors.setdefault("criteria", []).append(_("A policy needs at least one criterion."))
    total = round(sum(c.weight for c in policy.criteria), 6)
    if policy.criteria and total != 100:
        errors.setdefault("weights", []).append(
            _("Weights add up to %(total)s, not 100.") % {"total": f"{total:g}"}
        )
    for c in policy.criteria:
        if c.weight < 0:
            errors.setdefault(c.metric, []).append(_("A weight cannot be negative."))
        if c.normalisation not in NORMALISATIONS:
            errors.setdefault(c.metric, []).append(
                _("Unknown normalisation %(name)s.") % {"name": c.normalisation}
            )
        if c.normalisation == THRESHOLDS:
            cuts = [t for t, _ in c.thresholds]
            if not cuts:
                errors.setdefault(c.metric, []).append(_("Thresholds need at least one step."))
            if cuts != sorted(cuts) or len(set(cuts)) != len(cuts):
                errors.setdefault(c.metric, []).append(_("Thresholds must rise strictly."))
            if any(not 0 <= v <= 1 for _, v in c.thresholds):
                errors.setdefault(c.metric, []).append(_("Threshold values lie between 0 and 1."))
        if c.low is not None and c.high is not None and c.low >= c.high:
            errors.setdefault(c.metric, []).append(_("The lower bound must be below the upper."))
    labels = [t.label for t in policy.tiers]
    if len(labels) < 2:
        errors.setdefault("tiers", []).append(_("A policy needs at least two tiers."))
    if len(set(labels)) != len(labels) or any(not label for label in labels):
        errors.setdefault("tiers", []).append(_("Tier labels must be present and distinct."))
    if policy.cutoff == BY_SCORE:
        floors = [t.value for t in policy.tiers[:-1]]
        if any(not 0 <= f <= 100 for f in floors):
            errors.setdefault("tiers", []).append(_("Score cut-offs lie between 0 and 100."))
        if any(a <= b for a, b in zip(floors, floors[1:], strict=False)):
            errors.setdefault("tiers", []).append(
                _("Score cut-offs overlap: each tier must start strictly below the one above.")
            )
    elif policy.cutoff == BY_SHARE:
        shares = [t.value for t in policy.tiers]
        if any(s <= 0 for s in shares):
            errors.setdefault("tiers", []).append(_("Every tier needs a share above 0%."))
        if round(sum(shares), 6) != 1:
            errors.setdefault("tiers", []).append(
                _("Tier shares add up to %(total)s%%, not 100%%.")
                % {"total": f"{sum(shares) * 100:g}"}
            )
    else:
        errors.setdefault("tiers", []).append(
            _("Unknown cut-off kind %(name)s.") % {"name": policy.cutoff}
        )
    if errors:
        raise PolicyError(errors)


def normalise(raw: np.ndarray, criterion: Criterion) -> np.ndarray:
    """Raw values (NaN where unknown) → 0–1, 1 being best. Unknown values score 0."""
    raw = np.asarray(raw, dtype=float)
    known = ~np.isnan(raw)
    out = np.zeros(raw.shape, dtype=float)
    if not known.any():
        return out
    values = raw[known]
    if criterion.normalisation == MINMAX:
        low = np.min(values) if criterion.low is None else criterion.low
        high = np.max(values) if criterion.high is None else criterion.high
        span = high - low
        n = np.clip((values - low) / span, 0, 1) if span > 0 else np.ones(values.shape)
    elif criterion.normalisation == PERCENTILE:
        n = percentile_rank(values)
    else:
        cuts = np.array([t for t, _ in criterion.thresholds], dtype=float)
        points = np.concatenate([[0.0], [v for _, v in criterion.thresholds]])
        n = points[np.searchsorted(cuts, values, side="right")]
    if not criterion.higher_is_better:
        n = 1 - n
    out[known] = n
    return out


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """0 for the lowest, 1 for the highest; equal values share their average rank."""
    n = len(values)
    if n == 1:
        return np.ones(1)
    _unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts
    return (first_rank + (counts - 1) / 2)[inverse] / (n - 1)


def normalised_matrix(raw: dict[str, np.ndarray], policy: Policy) -> np.ndarray:
    return np.column_stack([normalise(raw[c.metric], c) for c in policy.criteria])


def scores(normalised: np.ndarray, policy: Policy) -> np.ndarray:
    """0–100: Σ weight × normalised value (weights add up to 100). Rounded to 2 places, as
    stored, so that ties are ties."""
    weights = np.array([c.weight for c in policy.criteria], dtype=float)
    return np.round(normalised @ weights, 2)


def assign(score: np.ndarray, ids: np.ndarray, policy: Policy) -> np.ndarray:
    """The tier label of each customer. By share: customers ranked by score (ties by id, so a
    re-run gives the same answer), the first round(share × n) take the first tier, and so on;
    every tier gets its share to within one customer."""
    labels = np.array([t.label for t in policy.tiers], dtype=object)
    if policy.cutoff == BY_SCORE:
        floors = np.array([t.value for t in policy.tiers[:-1]], dtype=float)
        # number of floors the score does not reach = index of its tier
        index = np.sum(score[:, None] < floors[None, :], axis=1)
        return labels[index]
    n = len(score)
    order = np.lexsort((ids, -score))
    bounds = np.round(np.cumsum([t.value for t in policy.tiers]) * n).astype(int)
    bounds[-1] = n
    tier_of_rank = np.searchsorted(bounds, np.arange(n), side="right")
    result = np.empty(n, dtype=object)
    result[order] = labels[tier_of_rank]
    return result


def score_floors(score: np.ndarray, tiers: np.ndarray, policy: Policy) -> dict[str, float]:
    """The lowest score that reaches each tier in this run (for share cut-offs, the score of
    the last customer in; for score cut-offs, the configured floor)."""
    if policy.cutoff == BY_SCORE:
        return {t.label: float(t.value) for t in policy.tiers[:-1]} | {policy.tiers[-1].label: 0.0}
    floors = {}
    for t in policy.tiers:
        members = score[tiers == t.label]
        floors[t.label] = float(members.min()) if len(members) else float("inf")
    return floors


def explain(
    raw: dict[str, float | None],
    normalised: dict[str, float],
    policy: Policy,
    tier: str,
    floors: dict[str, float],
) -> Explanation:
    """One customer's tier, criterion by criterion, and the score it lacks for the next tier
    up. `normalised` and `tier` come from the run (percentiles and shares depend on everyone
    else); `floors` from score_floors()."""
    result = Explanation(tier=tier)
    for c in policy.criteria:
        n = normalised[c.metric]
        result.rows.append(
            {
                "metric": c.metric,
                "raw": raw.get(c.metric),
                "normalised": round(n, 4),
                "weight": c.weight,
                "contribution": round(c.weight * n, 2),
            }
        )
    result.score = round(sum(c.weight * normalised[c.metric] for c in policy.criteria), 2)
    labels = [t.label for t in policy.tiers]
    index = labels.index(tier)
    if index > 0:
        result.next_tier = labels[index - 1]
        result.gap = round(max(floors[result.next_tier] - result.score, 0), 2)
    return result
