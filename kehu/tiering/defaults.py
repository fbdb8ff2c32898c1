"""The policy a new install starts from (seed 000: purchase history, potential revenue, loyalty,
satisfaction, weighted; A/B/C with the top 20% as A)."""

from django.db import transaction

from . import services
from .models import TierPolicy

DEFAULT_NAME = "默认客户分级"
DEFAULT_CRITERIA = [
    {"metric": "purchase_amount", "weight": 40, "normalisation": "percentile"},
    {"metric": "potential_revenue", "weight": 20, "normalisation": "percentile"},
    {
        "metric": "recency_days",
        "weight": 15,
        "normalisation": "thresholds",
        "higher_is_better": False,
        # contacted within 30 days scores full, within 90 half, older nothing
        "thresholds": [[30, 0.5], [90, 1.0]],
    },
    {"metric": "loyalty_years", "weight": 10, "normalisation": "minmax", "low": 0, "high": 5},
    {"metric": "satisfaction", "weight": 15, "normalisation": "minmax", "low": 1, "high": 5},
]
DEFAULT_TIERS = [
    {"label": "A", "value": "0.2"},
    {"label": "B", "value": "0.3"},
    {"label": "C", "value": "0.5"},
]


@transaction.atomic
def ensure_default_policy(actor) -> TierPolicy:
    """The published policy, creating and publishing the default one if there is none."""
    published = TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).first()
    if published:
        return published
    policy = services.create_policy(actor, DEFAULT_NAME, DEFAULT_CRITERIA, DEFAULT_TIERS, "share")
    return services.publish_policy(actor, policy)
