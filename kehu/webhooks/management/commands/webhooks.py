from django.core.management.base import BaseCommand

from kehu.webhooks import sender


class Command(BaseCommand):
    help = (
        "Webhook jobs: `retry` enqueues the deliveries whose next attempt is due (the worker "
        "also retries each failed delivery at its time; run this from cron as a safety net)."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=["retry"])

    def handle(self, *args, **opts):
        self.stdout.write(f"enqueued: {sender.retry_due():,}")
