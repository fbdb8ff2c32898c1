import logging
import os
import socket
import time

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Worker

from kehu.core import leases, schedule

logger = logging.getLogger("kehu.worker")


class Command(BaseCommand):
    help = "Run background jobs (re-tiering, reminders, large imports) and enqueue scheduled ones."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--once", action="store_true", help="enqueue what is due, run every queued job, exit"
        )
        parser.add_argument(
            "--no-schedule", action="store_true", help="run queued jobs only, never enqueue"
        )

    def handle(self, *args, **opts):
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,  # run() returns once the queue is empty; this loop polls again
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        schedule.discover()  # the apps' jobs, and their crash recoveries with them
        try:
            last_tick = 0.0
            while worker.running:
                if time.monotonic() - last_tick >= 30:
                    # jobs whose process died half-way (killed, out of memory) are failed or
                    # queued again, so that they can run again
                    recovered = leases.recover()
                    if recovered:
                        logger.warning("jobs recovered after their process died: %s", recovered)
                    if not opts["no_schedule"]:
                        for name in schedule.enqueue_due():
                            logger.warning("scheduled job enqueued: %s", name)
                    last_tick = time.monotonic()
                worker.run()
                if opts["once"]:
                    return
                time.sleep(opts["interval"])
        finally:
            worker.reset_signals()
