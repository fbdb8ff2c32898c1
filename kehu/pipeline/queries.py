"""Read side of the pipeline, always from the actor's visible deals."""

from django.db.models import Count, Sum

from kehu.accounts import access

from .models import Deal, Stage, StageChange

CARDS_PER_STAGE = 50


def deals(actor, scope: str = "me"):
    """The actor's deals, or (managers, directors, viewers: scope "team") those of the people
    they may see; always within the deals of their visible customers."""
    rows = access.visible(actor, Deal)
    if scope == "team" and can_see_team(actor):
        rows = rows.filter(owner__in=access.visible_users(actor))
    else:
        rows = rows.filter(owner=actor)
    return rows.select_related("customer", "owner", "stage")


def can_see_team(actor) -> bool:
    return actor.is_manager or actor.sees_everything or actor.is_read_only


def board(actor, scope: str = "me") -> list[dict]:
    """One column per active stage: its count and amount (one GROUP BY) and its most recently
    changed cards."""
    rows = deals(actor, scope)
    totals = {
        r["stage_id"]: r
        for r in rows.order_by().values("stage_id").annotate(n=Count("pk"), amount=Sum("amount"))
    }
    columns = []
    for stage in Stage.objects.filter(active=True):
        cards = rows.filter(stage=stage).order_by("-updated_at", "-pk")[:CARDS_PER_STAGE]
        total = totals.get(stage.pk, {})
        columns.append(
            {
                "stage": stage,
                "count": total.get("n", 0),
                "amount": total.get("amount") or 0,
                "cards": list(cards),
            }
        )
    return columns


def history(actor, deal: Deal):
    access.get_customer(actor, deal.customer_id)
    return StageChange.objects.filter(deal=deal).select_related("from_stage", "to_stage", "by")


def deals_of_customer(actor, customer):
    customer = access.get_customer(actor, customer.pk)
    return Deal.objects.filter(customer=customer).select_related("stage", "owner")[:20]
