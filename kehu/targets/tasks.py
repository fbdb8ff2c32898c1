"""Targets' background job (see kehu.core.schedule)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import services


@task()
def behind_pace() -> dict:
    return {"flagged": services.alert_behind_pace()}


schedule.register(
    "targets.behind_pace",
    _("Tell reps and their managers about targets behind pace"),
    behind_pace,
    schedule.Every.DAY,
    hour=8,
)
