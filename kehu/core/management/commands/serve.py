import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Kehu with gunicorn (sync workers) and whitenoise for static files, and run the "
        "background worker beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KEHU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KEHU_WORKERS", "2")))
        parser.add_argument(
            "--no-migrate", action="store_true", help="skip applying migrations first"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (run `kehu worker` elsewhere)",
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
        if opts["no_worker"]:
            os.execv(gunicorn, argv)
        kehu = os.path.join(os.path.dirname(sys.executable), "kehu")
        children = [subprocess.Popen([kehu, "worker"]), subprocess.Popen(argv)]

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # gunicorn is the service: when it ends, the worker ends with it
        code = children[1].wait()
        stop(None, None)
        children[0].wait(timeout=60)
        sys.exit(code)
