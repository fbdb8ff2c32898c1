"""Lead assignment's background job and its calendar (see kehu.core.schedule)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import services


@task()
def assign_waiting() -> dict:
    """Every switched-on rule hands out its team's waiting leads (new ones are assigned as
    they arrive; this catches the rest, e.g. after a rep's limit was raised)."""
    return services.run_all()


schedule.register(
    "assignment.daily",
    _("Assign waiting leads by the teams' assignment rules"),
    assign_waiting,
    schedule.Every.DAY,
    hour=7,
)
