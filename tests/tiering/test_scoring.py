"""The tiering maths on plain data: scores stay in 0–100, move the right way, shares come out
as asked, ties are stable, and bad policies are refused with a reason."""

import numpy as np
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.tiering.scoring import (
    BY_SCORE,
    BY_SHARE,
    MINMAX,
    PERCENTILE,
    THRESHOLDS,
    Criterion,
    Policy,
    PolicyError,
    Tier,
    assign,
    explain,
    normalise,
    normalised_matrix,
    score_floors,
    scores,
    validate,
)

ABC_BY_SCORE = (Tier("A", 80), Tier("B", 50), Tier("C", 0))
ABC_BY_SHARE = (Tier("A", 0.2), Tier("B", 0.3), Tier("C", 0.5))


def policy(cutoff=BY_SCORE, tiers=ABC_BY_SCORE, **normalisations):
    return Policy(
        criteria=(
            Criterion("amount", 40, normalisations.get("amount", MINMAX)),
            Criterion("frequency", 30, normalisations.get("frequency", PERCENTILE)),
            Criterion(
                "recency_days",
                20,
                normalisations.get("recency_days", THRESHOLDS),
                higher_is_better=False,
                thresholds=((30, 0.5), (180, 1.0)),
            ),
            Criterion("satisfaction", 10, MINMAX, low=1, high=5),
        ),
        tiers=tiers,
        cutoff=cutoff,
    )


values = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False))
customers = st.lists(st.tuples(values, values, values, values), min_size=1, max_size=40)


def columns(rows):
    names = ["amount", "frequency", "recency_days", "satisfaction"]
    return {
        name: np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float)
        for i, name in enumerate(names)
    }


def run(rows, p):
    raw = columns(rows)
    s = scores(normalised_matrix(raw, p), p)
    return s, assign(s, np.arange(len(rows)), p)


@settings(max_examples=60, deadline=None)
@given(customers)
def test_scores_lie_between_0_and_100(rows):
    s, _ = run(rows, policy())
    assert ((s >= 0) & (s <= 100)).all()


@settings(max_examples=60, deadline=None)
@given(
    customers,
    st.integers(0, 39),
    st.sampled_from(["amount", "frequency", "satisfaction"]),
    st.floats(0, 1e6),
)
def test_a_better_value_never_lowers_the_customers_score(rows, k, metric, more):
    k %= len(rows)
    p = policy()
    raw = columns(rows)
    before = scores(normalised_matrix(raw, p), p)[k]
    current = raw[metric][k]
    raw[metric] = raw[metric].copy()
    raw[metric][k] = (0 if np.isnan(current) else current) + more
    after = scores(normalised_matrix(raw, p), p)[k]
    assert after >= before


@settings(max_examples=60, deadline=None)
@given(customers)
def test_share_cutoffs_give_the_asked_shares_within_one_customer(rows):
    _s, tiers = run(rows, policy(BY_SHARE, ABC_BY_SHARE))
    n = len(rows)
    for tier in ABC_BY_SHARE:
        assert abs((tiers == tier.label).sum() - tier.value * n) <= 1


@settings(max_examples=40, deadline=None)
@given(customers, st.randoms())
def test_ties_are_broken_by_id_so_order_of_input_does_not_matter(rows, rnd):
    p = policy(BY_SHARE, ABC_BY_SHARE)
    ids = np.arange(len(rows))
    s = scores(normalised_matrix(columns(rows), p), p)
    first = dict(zip(ids, assign(s, ids, p), strict=True))
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    second = dict(zip(ids[perm], assign(s[perm], ids[perm], p), strict=True))
    assert first == second


def test_score_cutoffs_place_customers_on_their_floor():
    p = policy()
    s = np.array([80.0, 79.99, 50.0, 49.99, 0.0])
    assert list(assign(s, np.arange(5), p)) == ["A", "B", "B", "C", "C"]


def test_normalisations():
    minmax = Criterion("x", 100, MINMAX)
    assert list(normalise(np.array([10, 20, 30, np.nan]), minmax)) == [0, 0.5, 1, 0]
    pct = Criterion("x", 100, PERCENTILE)
    assert list(normalise(np.array([5, 1, 5, 9]), pct)) == [0.5, 0, 0.5, 1]
    steps = Criterion("x", 100, THRESHOLDS, thresholds=((100, 0.5), (500, 1.0)))
    assert list(normalise(np.array([99, 100, 499, 500]), steps)) == [0, 0.5, 0.5, 1]
    lower_better = Criterion("x", 100, MINMAX, higher_is_better=False, low=0, high=100)
    assert list(normalise(np.array([0, 25, 200]), lower_better)) == [1, 0.75, 0]


def test_explanation_adds_up_and_shows_the_gap_to_the_next_tier():
    p = policy()
    raw = {"amount": 500_000, "frequency": 6, "recency_days": 20, "satisfaction": 4}
    normalised = {"amount": 0.5, "frequency": 0.75, "recency_days": 0.5, "satisfaction": 0.75}
    floors = score_floors(np.array([]), np.array([]), p)
    e = explain(raw, normalised, p, "B", floors)
    assert [r["contribution"] for r in e.rows] == [20.0, 22.5, 10.0, 7.5]
    assert e.score == 60.0
    assert (e.next_tier, e.gap) == ("A", 20.0)
    top = explain(raw, normalised, p, "A", floors)
    assert top.next_tier is None and top.gap is None


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (Policy((Criterion("a", 60), Criterion("b", 30)), ABC_BY_SCORE), "weights", "90"),
        (
            Policy((Criterion("a", 100),), (Tier("A", 50), Tier("B", 60), Tier("C", 0))),
            "tiers",
            "overlap",
        ),
        (
            Policy(
                (Criterion("a", 100),), (Tier("A", 0.5), Tier("B", 0.0), Tier("C", 0.5)), BY_SHARE
            ),
            "tiers",
            "share",
        ),
        (
            Policy((Criterion("a", 100),), (Tier("A", 0.5), Tier("B", 0.3)), BY_SHARE),
            "tiers",
            "80%",
        ),
        (
            Policy((Criterion("a", 100, THRESHOLDS, thresholds=((5, 0.5), (1, 1))),), ABC_BY_SCORE),
            "a",
            "rise",
        ),
        (Policy((Criterion("a", 100),), (Tier("A", 50),)), "tiers", "two tiers"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(bad, field, words):
    with translation.override("en"), pytest.raises(PolicyError) as err:
        validate(bad)
    assert words in " ".join(err.value.errors[field])


def test_the_default_policies_are_valid():
    validate(policy())
    validate(policy(BY_SHARE, ABC_BY_SHARE))


def test_a_million_customers_score_in_well_under_a_second_of_arrays():
    # not a timing assertion: a smoke test that the vectorised path handles the scale
    rng = np.random.default_rng(1)
    n = 1_000_000
    raw = {
        "amount": rng.gamma(2, 1e5, n),
        "frequency": rng.poisson(4, n).astype(float),
        "recency_days": rng.integers(0, 720, n).astype(float),
        "satisfaction": rng.integers(1, 6, n).astype(float),
    }
    p = policy(BY_SHARE, ABC_BY_SHARE)
    s = scores(normalised_matrix(raw, p), p)
    tiers = assign(s, np.arange(n), p)
    assert (tiers == "A").sum() == 200_000
