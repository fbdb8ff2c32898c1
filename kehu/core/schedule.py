"""Jobs on a calendar, run by `kehu worker` through django-tasks.

An app registers a job in its `tasks.py` (`register("tiering.retier", …)`); the worker calls
`enqueue_due()` every half minute, which enqueues each job whose time has come exactly once,
however many workers are running, and moves its next run to the following boundary.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from .models import ScheduledJob

Every = ScheduledJob.Every


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    task: object  # a django-tasks Task taking no arguments
    every: str
    hour: int = 2


JOBS: dict[str, Job] = {}


def register(name: str, label, task, every: str, hour: int = 2) -> None:
    JOBS[name] = Job(name, label, task, every, hour)


def discover() -> dict[str, Job]:
    autodiscover_modules("tasks")
    return JOBS


def next_after(moment: datetime, every: str, hour: int) -> datetime | None:
    """The first boundary of `every` strictly after `moment` (aware), at `hour` local time:
    the next day, Monday, first of the month, of the quarter (Jan/Apr/Jul/Oct) or of the
    year. None for jobs that run on demand only."""
    if every == Every.NEVER:
        return None
    local = timezone.localtime(moment)
    day = local.date()

    def at(d):
        return timezone.make_aware(datetime(d.year, d.month, d.day, hour))

    if every == Every.DAY:
        candidate = day
        step = lambda d: d + timedelta(days=1)  # noqa: E731
    elif every == Every.WEEK:
        candidate = day - timedelta(days=day.weekday())
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        months = {Every.MONTH: 1, Every.QUARTER: 3, Every.YEAR: 12}[every]
        first = (day.month - 1) // months * months + 1
        candidate = day.replace(month=first, day=1)

        def step(d):
            month = d.month - 1 + months
            return d.replace(year=d.year + month // 12, month=month % 12 + 1)

    while at(candidate) <= moment:
        candidate = step(candidate)
    return at(candidate)


def ensure_jobs(now: datetime | None = None) -> list[ScheduledJob]:
    """A row per registered job, created with the job's default calendar."""
    now = now or timezone.now()
    existing = {j.name: j for j in ScheduledJob.objects.all()}
    for job in discover().values():
        if job.name not in existing:
            existing[job.name] = ScheduledJob.objects.create(
                name=job.name,
                every=job.every,
                hour=job.hour,
                next_run_at=next_after(now, job.every, job.hour),
            )
    return [existing[name] for name in sorted(existing) if name in JOBS]


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueues every job whose next run has come; returns their names."""
    now = now or timezone.now()
    ensure_jobs(now)
    started = []
    for row in ScheduledJob.objects.filter(next_run_at__lte=now).exclude(every=Every.NEVER):
        job = JOBS.get(row.name)
        if job is None:
            continue
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
                next_run_at=next_after(now, row.every, row.hour), last_run_at=now
            )
            if claimed:
                result = job.task.enqueue()
                ScheduledJob.objects.filter(pk=row.pk).update(last_task_id=str(result.id))
                started.append(row.name)
    return started


def set_every(name: str, every: str, now: datetime | None = None) -> ScheduledJob:
    """Changes a job's calendar; the next run moves to the new calendar's next boundary.
    Callers check who may change which job."""
    now = now or timezone.now()
    ensure_jobs(now)
    row = ScheduledJob.objects.get(name=name)
    row.every = Every(every)
    row.next_run_at = next_after(now, row.every, row.hour)
    row.save(update_fields=["every", "next_run_at"])
    return row
