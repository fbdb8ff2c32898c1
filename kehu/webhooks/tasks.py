"""Webhooks' background jobs: sending one delivery, and the daily sweep of due retries.

A failed attempt schedules its own retry (a job deferred to `next_attempt_at`, which the database
backend supports); the sweep — daily, and `kehu webhooks retry` for cron or by hand — catches
deliveries whose job was lost (a worker killed mid-send, a backend that cannot defer)."""

from django.utils.translation import gettext_lazy as _
from django_tasks import task

from kehu.core import schedule

from . import sender


@task()
def deliver(delivery_id: int) -> dict:
    return {"status": sender.attempt(delivery_id)}


@task()
def retry_due() -> dict:
    return {"enqueued": sender.retry_due()}


schedule.register(
    "webhooks.retry",
    _("Resend the webhook deliveries whose retry is due"),
    retry_due,
    schedule.Every.DAY,
    hour=4,
)
