"""Sales' background jobs and their calendar (see kehu.core.schedule)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import services


@task()
def nightly() -> dict:
    """The cross-sell table from the day's orders. (Purchase totals need no job: every order
    write keeps them.)"""
    return {"pairs": services.rebuild_pairs()}


schedule.register(
    "sales.nightly",
    _("Rebuild the cross-sell table from the orders"),
    nightly,
    schedule.Every.DAY,
    hour=3,
)
