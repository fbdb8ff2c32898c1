import time

from django.core.management.base import BaseCommand

from kehu.sales import services


class Command(BaseCommand):
    help = (
        "Sales jobs: rebuild-totals recomputes every customer's purchase totals from the "
        "orders (a repair; order writes keep them), rebuild-pairs the cross-sell table."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=["rebuild-totals", "rebuild-pairs"])

    def handle(self, *args, **opts):
        job = {"rebuild-totals": services.rebuild_totals, "rebuild-pairs": services.rebuild_pairs}
        started = time.monotonic()
        result = job[opts["job"]]()
        self.stdout.write(f"{opts['job']}: {result:,} in {time.monotonic() - started:.1f}s")
