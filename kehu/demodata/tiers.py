"""Demo tiers as if Kehu had been tiering the customers for months: everyone starts in the tier
the published policy gives them, a few percent have bought more or less since (so the next
run proposes a realistic handful of changes), and half a year of daily-snapshot history
(sampled monthly) lets the distribution chart show a trend."""

from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from kehu.core import bulk
from kehu.customers.models import Customer
from kehu.tiering import services
from kehu.tiering.models import TierSnapshot


@transaction.atomic
def seed_tiers(policy, drift: float = 0.05, seed: int = 2026) -> int:
    """Sets every customer's tier and score from `policy`, then changes the purchase amount of
    `drift` of them (×0.2 … ×4). Returns how many drifted."""
    ids, score, tiers, raw, _normalised, _floors = services.evaluate(policy)
    table = Customer._meta.db_table
    bulk.update_from(
        table,
        [("tier", "varchar(2)"), ("score", "numeric(5,2)")],
        zip(ids.tolist(), tiers.astype(str).tolist(), np.round(score, 2).tolist(), strict=True),
    )
    rng = np.random.default_rng(seed)
    amounts = raw.get("purchase_amount")
    if amounts is None:
        return 0
    picked = np.flatnonzero((rng.random(len(ids)) < drift) & ~np.isnan(amounts))
    factors = rng.choice([0.2, 0.5, 2.0, 4.0], size=len(picked))
    new = np.round(np.maximum(amounts[picked], 10_000) * factors, 2)
    bulk.update_from(
        table,
        [("cooperation_amount", "numeric(14,2)")],
        zip(ids[picked].tolist(), new.tolist(), strict=True),
    )
    return len(picked)


def seed_history(months: int = 6) -> None:
    """Today's snapshot, and one on the first of each earlier month with a smaller base and
    fewer A customers the further back it goes."""
    today = timezone.localdate()
    services.record_snapshot(today)
    current = list(TierSnapshot.objects.filter(day=today))
    past = []
    day = today.replace(day=1)
    for back in range(1, months + 1):
        day = (day - timedelta(days=1)).replace(day=1)
        scale = 1 - 0.05 * back
        for row in current:
            shrink = scale * (1 - 0.04 * back if row.tier == "A" else 1)
            past.append(
                TierSnapshot(
                    day=day,
                    team_id=row.team_id,
                    owner_id=row.owner_id,
                    tier=row.tier,
                    customers=round(row.customers * shrink),
                )
            )
    TierSnapshot.objects.filter(day__lt=today).delete()
    TierSnapshot.objects.bulk_create(past, batch_size=5000)
