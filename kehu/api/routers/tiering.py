"""Tiers: the published policy's tiers, and a customer's tier with the explanation of its
score (tiering.queries.explain_customer)."""

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema

from kehu.accounts import access
from kehu.tiering import queries
from kehu.tiering.models import TierPolicy

from ..common import Id, responses

router = Router(tags=["tiers"])


class PolicyTierOut(Schema):
    label: str
    value: Decimal
    position: int


class PolicyOut(Schema):
    id: int
    name: str
    version: int
    cutoff: str
    published_at: datetime | None
    tiers: list[PolicyTierOut]

    @staticmethod
    def resolve_tiers(obj):
        return list(obj.tiers.all())


class CriterionOut(Schema):
    metric: str
    label: str
    raw: float | None
    normalised: float
    weight: float
    contribution: float

    @staticmethod
    def resolve_label(obj):
        return str(obj["label"])  # a lazy translation


class CustomerTierOut(Schema):
    customer_id: int
    tier: str
    score: Decimal | None
    policy: str | None
    scored_at: datetime | None
    next_tier: str | None
    gap: float | None
    criteria: list[CriterionOut]


@router.get("/tiers", response=responses(PolicyOut | None), summary="The published tier policy")
def tiers(request):
    """The tiers of the published policy (best first) and how they are cut; null before one
    is published."""
    return (
        TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED)
        .prefetch_related("tiers")
        .first()
    )


@router.get(
    "/customers/{customer_id}/tier", response=responses(CustomerTierOut), summary="Why this tier"
)
def customer_tier(request, customer_id: Id):
    """The customer's tier and score, each criterion's raw and normalised value, weight and
    contribution, and the score points missing to the next tier."""
    customer = access.get_customer(request.auth, customer_id)
    explanation = queries.explain_customer(request.auth, customer)
    run = getattr(explanation, "run", None)
    return {
        "customer_id": customer.pk,
        "tier": customer.tier,
        "score": customer.score,
        "policy": str(run.policy) if run else None,
        "scored_at": run.finished_at if run else None,
        "next_tier": explanation.next_tier if explanation else None,
        "gap": explanation.gap if explanation else None,
        "criteria": explanation.rows if explanation else [],
    }
