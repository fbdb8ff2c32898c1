"""The dashboards' background jobs (see kehu.core.schedule and kehu.reports.dashboard)."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.accounts.models import User
from kehu.core import schedule
from kehu.core.db_router import reporting

from . import dashboard


@task()
def refresh_dashboard(user_id: int, kind: str, day: str) -> dict:
    """Fresh figures for what someone just looked at, stale."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        with reporting():  # read-only figures: from the read replica when there is one
            dashboard.figures(user, kind, date.fromisoformat(day), fresh=True)
    return {"user": user_id, "kind": kind}


@task()
def warm() -> dict:
    """The company's figures, and each manager's team's, of the month, quarter and year,
    ready for the morning (a manager's region costs seconds to compute at a million
    customers; a rep's book about one, computed at their first look)."""
    director = (
        User.objects.filter(is_active=True, role__in=(User.Role.DIRECTOR, User.Role.ADMIN))
        .order_by("role", "pk")
        .first()
    )
    with reporting():  # read-only figures: from the read replica when there is one
        done = dashboard.warm(director) if director else 0
        for manager in User.objects.filter(
            is_active=True, role=User.Role.MANAGER, team__isnull=False
        ).select_related("team"):
            done += dashboard.warm(manager)
    return {"periods": done}


schedule.register(
    "reports.warm",
    _("Compute the company and team dashboards for the morning"),
    warm,
    schedule.Every.DAY,
    hour=6,
)
