"""Tiering's background jobs and their calendar (see kehu.core.schedule)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import services
from .models import TierPolicy


@task()
def retier_run(run_id: int) -> dict:
    run = services.execute_run(run_id)
    return {"status": run.status, "customers": run.customers, "proposals": run.proposals}


@task()
def scheduled_retier() -> dict:
    """The quarterly re-tier with the published policy, started by nobody (the scheduler)."""
    if not TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).exists():
        return {"skipped": "no published policy"}
    run = services.run_now(None)
    return {"run": run.pk, "status": run.status, "proposals": run.proposals}


@task()
def daily_tiers() -> dict:
    """Applies approved changes whose date has come, then records the day's distribution."""
    applied = services.apply_due()
    return {"applied": applied, "snapshot_rows": services.record_snapshot()}


schedule.register(
    "tiering.retier", _("Re-tier all customers"), scheduled_retier, schedule.Every.QUARTER
)
schedule.register(
    "tiering.daily",
    _("Apply approved tier changes and record the distribution"),
    daily_tiers,
    schedule.Every.DAY,
    hour=1,
)
