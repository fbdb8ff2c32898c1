"""Read side of tiering: a customer's explanation and the proposals a person may review."""

from datetime import datetime

import numpy as np
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.customers.models import Customer

from . import metrics, scoring, services
from .models import TierPolicy, TierProposal, TierRun, TierSnapshot


def latest_run() -> TierRun | None:
    return (
        TierRun.objects.filter(
            status=TierRun.Status.DONE, policy__status=TierPolicy.Status.PUBLISHED
        )
        .select_related("policy")
        .first()
    )


def _normalised(value: float, criterion: scoring.Criterion, stats: dict) -> float:
    """One raw value normalised as the run did it, from the run's stored statistics."""
    if np.isnan(value):
        return 0.0
    if criterion.normalisation == scoring.PERCENTILE:
        quantiles = stats.get("quantiles")
        if not quantiles:
            return 0.0
        n = float(np.interp(value, quantiles, np.linspace(0, 1, len(quantiles))))
        return n if criterion.higher_is_better else 1 - n
    if criterion.normalisation == scoring.MINMAX:
        criterion = scoring.Criterion(
            criterion.metric,
            criterion.weight,
            criterion.normalisation,
            criterion.higher_is_better,
            low=stats.get("low") if criterion.low is None else criterion.low,
            high=stats.get("high") if criterion.high is None else criterion.high,
        )
    return float(scoring.normalise(np.array([value]), criterion)[0])


def explain_customer(actor, customer: Customer) -> scoring.Explanation | None:
    """Why the customer is where it is under the published policy's latest run: each
    criterion's raw and normalised value, weight and contribution, and the gap to the next
    tier. None before the first run."""
    customer = access.get_customer(actor, customer.pk)
    run = latest_run()
    if run is None:
        return None
    pure = services.spec(run.policy)
    cols = metrics.read_columns(Customer.objects.filter(pk=customer.pk))
    raw = metrics.raw_values(cols, [c.metric for c in pure.criteria])
    normalised = {
        c.metric: _normalised(
            float(raw[c.metric][0]), c, run.stats.get("criteria", {}).get(c.metric, {})
        )
        for c in pure.criteria
    }
    raw_values = {k: (None if np.isnan(v[0]) else round(float(v[0]), 2)) for k, v in raw.items()}
    tier = customer.tier or pure.tiers[-1].label
    if tier not in [t.label for t in pure.tiers]:
        tier = pure.tiers[-1].label
    explanation = scoring.explain(raw_values, normalised, pure, tier, run.stats.get("floors", {}))
    for row in explanation.rows:
        row["label"] = metrics.METRICS[row["metric"]].label
        row["percent"] = round(row["normalised"] * 100, 1)
    explanation.run = run
    return explanation


def proposals_to_review(actor):
    """Pending proposals the actor may decide now: round 1 for managers of the customer's team
    subtree (and directors), round 2 for directors."""
    pending = TierProposal.objects.filter(status=TierProposal.Status.PENDING).select_related(
        "customer", "customer__owner", "proposed_by"
    )
    if actor.sees_everything:
        return pending
    if actor.is_manager:
        return pending.filter(round=1, customer__in=access.visible_customers(actor).values("pk"))
    return pending.none()


def proposals_of(actor, customer: Customer):
    customer = access.get_customer(actor, customer.pk)
    return customer.tier_proposals.prefetch_related("reviews__reviewer").select_related(
        "proposed_by"
    )[:20]


def what_if(actor, pure: scoring.Policy, limit: int | None = 200) -> dict:
    """What a policy would do if published and run now, without writing anything: the tier
    distribution before and after, the from → to matrix, and the customers who would move
    (highest score first)."""
    access.require(services.can_set_policy(actor), _("Only a director can preview tier policies."))
    ids, score, tiers, _raw, _normalised, floors = services.evaluate(pure)
    current = services.current_tiers(ids).astype(object)
    current[current == ""] = "—"
    new = tiers.astype(str)
    labels = [t.label for t in pure.tiers]
    before_labels = labels + sorted({str(c) for c in current} - set(labels))
    matrix = {
        b: {a: int(np.sum((current == b) & (new == a))) for a in labels} for b in before_labels
    }
    moved = np.flatnonzero(current != new)
    top = moved[np.argsort(-score[moved], kind="stable")][:limit]
    names = _names(ids[top])
    movers = [
        {
            "id": int(ids[i]),
            "name": names.get(int(ids[i]), ""),
            "from": str(current[i]),
            "to": str(new[i]),
            "score": float(score[i]),
        }
        for i in top
    ]
    return {
        "total": len(ids),
        "moved": len(moved),
        "labels": labels,
        "before": {b: int(np.sum(current == b)) for b in before_labels},
        "after": {a: int(np.sum(new == a)) for a in labels},
        "matrix": matrix,
        "movers": movers,
        "floors": floors,
    }


def _names(ids: np.ndarray) -> dict[int, str]:
    """Customer names by id: a lookup for a page of them, one ordered scan for an export of
    hundreds of thousands (an IN list that long exceeds SQLite's parameter limit)."""
    if len(ids) <= 2000:
        return dict(Customer.objects.filter(pk__in=ids.tolist()).values_list("pk", "name"))
    wanted = set(ids.tolist())
    return {pk: name for pk, name in Customer.objects.values_list("pk", "name") if pk in wanted}


def distribution_over_time(actor, since=None) -> dict:
    """Customers per tier on each day a snapshot was taken (daily, by the scheduler), limited
    to the teams and owners the actor may see: {"days": [...], "series": {tier: [...]}}."""
    rows = TierSnapshot.objects.all()
    scope = access.rollup_scope(actor)
    if scope is not None:
        rows = rows.filter(scope)
    if since:
        rows = rows.filter(day__gte=since)
    counts = rows.values("day", "tier").annotate(n=Sum("customers")).order_by("day", "tier")
    days = sorted({r["day"] for r in counts})
    position = {d: i for i, d in enumerate(days)}
    series: dict[str, list[int]] = {}
    for r in counts:
        series.setdefault(r["tier"] or "—", [0] * len(days))[position[r["day"]]] = r["n"]
    return {
        "days": [d.isoformat() for d in days],
        "series": dict(sorted(series.items(), key=lambda kv: (kv[0] == "—", kv[0]))),
    }


def history_of(actor, customer: Customer):
    """The customer's tier changes, newest first."""
    customer = access.get_customer(actor, customer.pk)
    return customer.tier_changes.select_related("by", "policy")[:20]


def _start_of(day):
    """A date as the start of that day in the local time zone (a datetime passes through)."""
    if isinstance(day, datetime):
        return day
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def transitions(actor, since=None, until=None) -> dict:
    """How many of the actor's customers actually moved between tiers in a period: the
    transition matrix (from → to), counted from the tier history."""
    from django.db.models import Count

    from .models import TierChange

    changes = access.visible(actor, TierChange)
    if since:
        changes = changes.filter(at__gte=_start_of(since))
    if until:
        changes = changes.filter(at__lt=_start_of(until))
    counts = changes.values("from_tier", "to_tier").annotate(n=Count("id")).order_by()
    labels = sorted({c["from_tier"] or "—" for c in counts} | {c["to_tier"] for c in counts})
    matrix = {b: dict.fromkeys(labels, 0) for b in labels}
    for c in counts:
        matrix[c["from_tier"] or "—"][c["to_tier"]] = c["n"]
    return {"labels": labels, "matrix": matrix, "total": sum(c["n"] for c in counts)}
