import time

from django.core.management.base import BaseCommand, CommandError

from kehu.accounts.models import User
from kehu.tiering import services
from kehu.tiering.models import TierPolicy


class Command(BaseCommand):
    help = "Score every customer with the published tier policy and propose the changes for review."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="username",
            default=None,
            help="director running it (default: first director)",
        )

    def handle(self, *args, **opts):
        policy = TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).first()
        if policy is None:
            raise CommandError("No published tier policy: publish one first.")
        users = User.objects.filter(is_active=True)
        actor = (
            users.get(username=opts["username"])
            if opts["username"]
            else users.filter(role__in=[User.Role.DIRECTOR, User.Role.ADMIN])
            .order_by("role")
            .first()
        )
        if actor is None or not services.can_set_policy(actor):
            raise CommandError("Re-tiering needs a director or admin (--as USERNAME).")
        started = time.monotonic()
        run = services.run_now(actor, policy)
        self.stdout.write(
            f"{policy}: {run.customers:,} customers scored, {run.proposals:,} changes proposed for review "
            f"in {time.monotonic() - started:.1f}s; distribution {run.distribution}"
        )
