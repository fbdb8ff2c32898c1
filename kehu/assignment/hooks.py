"""A lead saved without an owner into a team's queue is assigned as soon as its transaction
commits, when the team's rule is switched on (the daily job catches whatever this misses:
rows written set-based, with no post_save, and leads whose team had no rule yet)."""

from functools import partial

from django.db import transaction

from kehu.customers.models import Customer


def lead_saved(sender, instance: Customer, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created:
        return
    if (
        instance.owner_id is None
        and instance.pooled_at is None
        and instance.team_id is not None
        and instance.status == Customer.Status.LEAD
    ):
        from .services import assign_new_lead

        # robust: a failed run must not turn the saved lead into an error page; it waits
        transaction.on_commit(partial(assign_new_lead, instance.team_id), robust=True)
