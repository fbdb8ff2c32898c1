import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _


class Command(BaseCommand):
    help = _("Serve Kehu with gunicorn (sync workers) and whitenoise for static files.")

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KEHU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KEHU_WORKERS", "2")))
        parser.add_argument(
            "--no-migrate", action="store_true", help="skip applying migrations first"
        )

    def handle(self, *args, **opts):
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        argv = [
            gunicorn,
            "kehu.wsgi:application",
            "--bind",
            opts["bind"],
            "--workers",
            str(opts["workers"]),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--access-logfile",
            "-",
        ]
        self.stdout.write(f"Kehu: http://{opts['bind']}/")
        sys.stdout.flush()
        os.execv(gunicorn, argv)
