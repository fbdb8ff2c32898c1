"""The allocation itself, on plain data: fair by capacity, within limits and tier rules,
the same answer every time."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.assignment.allocate import (
    LIMIT,
    NO_CAPACITY,
    NO_REPS,
    SENIORITY,
    TIER_FULL,
    Lead,
    Rep,
    TierLimit,
    allocate,
    units,
)

WEIGHTS = st.sampled_from(["0.01", "0.07", "0.5", "1", "1.00", "1.5", "2", "3.33", "9.99"])
SENIORITIES = st.sampled_from(["new", "regular", "senior"])
TIERS = st.sampled_from(["", "A", "B", "C"])


def counts(allocation) -> dict:
    out: dict = {}
    for o in allocation.outcomes:
        out[o.rep_id] = out.get(o.rep_id, 0) + 1
    return out


def test_leads_interleave_by_capacity():
    reps = [Rep(1, "1.5"), Rep(2, "0.5")]
    picked = [o.rep_id for o in allocate([Lead(i) for i in range(8)], reps).outcomes]
    assert picked == [1, 1, 1, 2, 1, 1, 1, 2]
    assert counts(allocate([Lead(i) for i in range(400)], reps)) == {1: 300, 2: 100}


@settings(max_examples=300, deadline=None)
@given(
    weights=st.lists(WEIGHTS, min_size=1, max_size=9),
    n=st.integers(min_value=1, max_value=400),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=4),
)
def test_every_rep_is_within_one_of_their_weighted_share(weights, n, cuts):
    """All reps eligible and unlimited: after any number of leads, spread over any number of
    runs (each passing its state on), every rep's count is within one of n × w / W."""
    reps = [Rep(i, w) for i, w in enumerate(weights)]
    got: dict = {}
    done, state = 0, None
    for size in [*cuts, n]:
        size = min(size, n - done)
        if size <= 0:
            continue
        result = allocate([Lead(done + j) for j in range(size)], reps, state=state)
        state, done = result.state, done + size
        for rep_id, c in counts(result).items():
            got[rep_id] = got.get(rep_id, 0) + c
    total = sum(units(w) for w in weights)
    for i, w in enumerate(weights):
        share = Fraction(n * units(w), total)
        assert abs(got.get(i, 0) - share) < 1, (i, got, share)


reps_strategy = st.lists(
    st.builds(
        lambda i, w, s, owned, limit, a: Rep(i, w, s, owned, limit, {"A": a}),
        st.integers(),  # replaced by the position below
        WEIGHTS,
        SENIORITIES,
        st.integers(min_value=0, max_value=6),
        st.none() | st.integers(min_value=0, max_value=8),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=6,
).map(
    lambda reps: [
        Rep(i, r.weight, r.seniority, r.owned, r.limit, r.tiers) for i, r in enumerate(reps)
    ]
)
rules_strategy = st.lists(
    st.builds(
        TierLimit,
        st.sampled_from(["A", "B", "C"]),
        st.frozensets(SENIORITIES, max_size=2),
        st.none() | st.integers(min_value=0, max_value=4),
    ),
    max_size=3,
    unique_by=lambda r: r.tier,
)


@settings(max_examples=300, deadline=None)
@given(
    reps=reps_strategy,
    rules=rules_strategy,
    tiers=st.lists(TIERS, max_size=60),
    respect=st.booleans(),
)
def test_limits_and_tier_rules_always_hold(reps, rules, tiers, respect):
    leads = [Lead(i, t) for i, t in enumerate(tiers)]
    result = allocate(leads, reps, rules, respect_limits=respect)
    by_rule = {r.tier: r for r in rules}
    assert [o.lead for o in result.outcomes] == leads  # every lead answered, none dropped
    got = counts(result)
    for rep in reps:
        if respect and rep.limit is not None and got.get(rep.id):
            assert rep.owned + got[rep.id] <= rep.limit
    per_tier: dict = {}
    for o in result.outcomes:
        if o.rep_id is None:
            assert o.reason in (NO_REPS, NO_CAPACITY, SENIORITY, TIER_FULL, LIMIT)
            continue
        rep = reps[o.rep_id]
        assert units(rep.weight) > 0
        rule = by_rule.get(o.lead.tier)
        if rule is not None:
            assert not rule.seniorities or rep.seniority in rule.seniorities
            key = (rep.id, o.lead.tier)
            per_tier[key] = per_tier.get(key, rep.tiers.get(o.lead.tier, 0)) + 1
            if rule.max_per_rep is not None:
                assert per_tier[key] <= rule.max_per_rep
    # and the same input gives the same answer
    again = allocate(leads, reps, rules, respect_limits=respect)
    assert again.outcomes == result.outcomes and again.state == result.state


def test_a_lead_with_nobody_eligible_says_why():
    senior_full = Rep(1, "1", "senior", tiers={"A": 2})
    regular = Rep(2, "1", "regular", owned=5, limit=5)
    rules = [TierLimit("A", frozenset({"senior"}), 2)]
    result = allocate([Lead(1, "A"), Lead(2, "B"), Lead(3, "C")], [senior_full, regular], rules)
    assert [(o.rep_id, o.reason) for o in result.outcomes] == [
        (None, TIER_FULL),
        (1, "round_robin"),
        (1, "round_robin"),
    ]
    assert allocate([Lead(1, "A")], [regular], rules).outcomes[0].reason == SENIORITY
    assert allocate([Lead(1)], [regular]).outcomes[0].reason == LIMIT
    assert allocate([Lead(1)], [regular], respect_limits=False).outcomes[0].rep_id == 2
    assert allocate([Lead(1)], [Rep(3, "0")]).outcomes[0].reason == NO_CAPACITY
    assert allocate([Lead(1)], []).outcomes[0].reason == NO_REPS


def test_a_rep_who_joins_later_does_not_catch_up_in_a_burst():
    first = allocate([Lead(i) for i in range(10)], [Rep(1), Rep(2)])
    later = allocate([Lead(i) for i in range(10, 14)], [Rep(1), Rep(2), Rep(3)], state=first.state)
    assert [o.rep_id for o in later.outcomes].count(3) <= 2
