import time

from django.core.management.base import BaseCommand

from kehu.followups import digest, pool, services


class Command(BaseCommand):
    help = (
        "Follow-up jobs: plan the next follow-ups, recycle the public pool, escalate overdue "
        "follow-ups, send the reminder e-mails (the worker runs them on their schedule)."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=["plan", "recycle", "escalate", "digest", "nightly"])

    def handle(self, *args, **opts):
        jobs = {
            "plan": [("planned", services.plan_all)],
            "recycle": [("released", pool.recycle)],
            "escalate": [("escalated", services.escalate_overdue)],
            "digest": [("sent", digest.send_all)],
        }
        jobs["nightly"] = jobs["recycle"] + jobs["plan"] + jobs["escalate"]
        for label, job in jobs[opts["job"]]:
            started = time.monotonic()
            result = job()
            self.stdout.write(f"{label}: {result:,} in {time.monotonic() - started:.1f}s")
