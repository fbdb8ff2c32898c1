"""Follow-ups' background jobs and their calendar (see kehu.core.schedule)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import digest, pool, services


@task()
def nightly() -> dict:
    """Releases neglected customers to the pool, plans the next follow-ups, escalates the
    overdue ones."""
    return {
        "released": pool.recycle(),
        "planned": services.plan_all(),
        "escalated": services.escalate_overdue(),
    }


@task()
def morning_digest() -> dict:
    return {"sent": digest.send_all()}


schedule.register(
    "followups.nightly",
    _("Recycle the public pool, plan follow-ups, escalate overdue ones"),
    nightly,
    schedule.Every.DAY,
    hour=1,
)
schedule.register(
    "followups.digest",
    _("Send the morning reminder e-mails"),
    morning_digest,
    schedule.Every.DAY,
    hour=7,
)
