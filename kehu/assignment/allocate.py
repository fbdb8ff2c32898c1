"""Who gets which new lead: a pure function on plain data (no database), so that the preview,
the run and the tests all share one answer.

The method is Balinski and Young's quota method, the weighted round-robin that provably keeps
every rep within one lead of their share. Each lead adds to every eligible rep's entitlement
their capacity weight over the eligible reps' total; a rep may take the lead only while their
count is below their entitlement (so never one over their share), and among those the lead goes
to the highest weight / (count + 1) (D'Hondt), which keeps anyone from falling a lead behind.
Plain smooth weighted round-robin (nginx's) was measured to drift up to 1.28 leads behind with
many small weights; this never does. Leads interleave (1.5 : 0.5 gives A A A B A A A B). Weights are
the capacity in hundredths and shares are fractions: exact, and the same on every machine.

A lead's eligible reps are the ones with capacity, of a seniority its tier rule allows, under
the tier rule's cap for that tier and (when limits are respected) under their customer limit.
A lead with no eligible rep stays unassigned, with the reason of the check that left nobody.
The entitlements and counts are returned as `state`, to be passed to the next run: fairness
holds across runs, and a rep who joins later starts from nothing instead of catching up.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

# why a lead went where it went (or nowhere); the service turns these into sentences
ROUND_ROBIN = "round_robin"  # assigned by capacity
NO_REPS = "no_reps"  # the team has no active reps
NO_CAPACITY = "no_capacity"  # every rep has capacity 0
SENIORITY = "seniority"  # no rep of a seniority the tier rule allows
TIER_FULL = "tier_full"  # every allowed rep has the tier rule's maximum of that tier
LIMIT = "limit"  # every remaining rep is at their customer limit


@dataclass(frozen=True)
class Lead:
    id: int
    tier: str = ""


@dataclass(frozen=True)
class Rep:
    id: int
    weight: Decimal | int | str = 1  # capacity weight, relative to 1.00
    seniority: str = "regular"
    owned: int = 0  # customers they own now
    limit: int | None = None  # customer limit; None: none
    tiers: Mapping[str, int] = field(default_factory=dict)  # owned customers per tier


@dataclass(frozen=True)
class TierLimit:
    tier: str
    seniorities: frozenset[str] = frozenset()  # empty: any seniority
    max_per_rep: int | None = None  # customers of the tier one rep may own; None: no cap


@dataclass(frozen=True)
class Outcome:
    lead: Lead
    rep_id: int | None
    reason: str


@dataclass
class Allocation:
    outcomes: list[Outcome]
    state: dict  # {rep id: {"share": "p/q", "count": n}} after the last lead, for the next run

    def by_rep(self) -> dict[int, list[Outcome]]:
        out: dict[int, list[Outcome]] = {}
        for o in self.outcomes:
            if o.rep_id is not None:
                out.setdefault(o.rep_id, []).append(o)
        return out

    @property
    def unassigned(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rep_id is None]


def units(weight) -> int:
    """A capacity weight in hundredths (1.5 → 150); negative weights count as 0."""
    return max(int((Decimal(str(weight)) * 100).to_integral_value()), 0)


def _read_state(state, rep_ids) -> tuple[dict, dict]:
    share, count = {}, {}
    for rid in rep_ids:
        row = (state or {}).get(rid) or (state or {}).get(str(rid)) or {}
        try:
            share[rid] = Fraction(row.get("share", 0))
            count[rid] = int(row.get("count", 0))
        except (TypeError, ValueError, ZeroDivisionError, AttributeError):
            share[rid], count[rid] = Fraction(0), 0
    return share, count


def allocate(
    leads: Iterable[Lead],
    reps: Iterable[Rep],
    tier_rules: Iterable[TierLimit] = (),
    *,
    respect_limits: bool = True,
    state: Mapping | None = None,
) -> Allocation:
    """Assigns `leads` in the order given. `state` is what the last run returned (reps missing
    from it start at nothing); ties go to the rep listed first."""
    reps = list(reps)
    rules = {r.tier: r for r in tier_rules}
    weight = {r.id: units(r.weight) for r in reps}
    share, count = _read_state(state, weight)
    owned = {r.id: r.owned for r in reps}
    per_tier = {r.id: dict(r.tiers) for r in reps}
    outcomes = []
    for lead in leads:
        rule = rules.get(lead.tier) if lead.tier else None
        eligible, reason = _eligible(reps, lead, rule, weight, owned, per_tier, respect_limits)
        if not eligible:
            outcomes.append(Outcome(lead, None, reason))
            continue
        total = sum(weight[r.id] for r in eligible)
        for rep in eligible:
            share[rep.id] += Fraction(weight[rep.id], total)
        # upper quota: only reps still below their entitlement (there is always one when the
        # same reps were eligible throughout; when eligibility changed, anyone eligible)
        below = [r for r in eligible if count[r.id] < share[r.id]] or eligible
        # max() keeps the first of equal priorities: the order the reps were given in
        chosen = max(below, key=lambda r: Fraction(weight[r.id], count[r.id] + 1))
        count[chosen.id] += 1
        owned[chosen.id] += 1
        if lead.tier:
            per_tier[chosen.id][lead.tier] = per_tier[chosen.id].get(lead.tier, 0) + 1
        outcomes.append(Outcome(lead, chosen.id, ROUND_ROBIN))
    state_out = {rid: {"share": str(share[rid]), "count": count[rid]} for rid in weight}
    return Allocation(outcomes, state_out)


def _eligible(reps, lead, rule, weight, owned, per_tier, respect_limits):
    if not reps:
        return [], NO_REPS
    pool = [r for r in reps if weight[r.id] > 0]
    if not pool:
        return [], NO_CAPACITY
    if rule is not None and rule.seniorities:
        pool = [r for r in pool if r.seniority in rule.seniorities]
        if not pool:
            return [], SENIORITY
    if rule is not None and rule.max_per_rep is not None:
        pool = [r for r in pool if per_tier[r.id].get(lead.tier, 0) < rule.max_per_rep]
        if not pool:
            return [], TIER_FULL
    if respect_limits:
        pool = [r for r in pool if r.limit is None or owned[r.id] < r.limit]
        if not pool:
            return [], LIMIT
    return pool, ""
