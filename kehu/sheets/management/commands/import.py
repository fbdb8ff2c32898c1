import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kehu.accounts.models import User
from kehu.sheets import importer, services
from kehu.sheets.kinds import KINDS


class Command(BaseCommand):
    help = (
        "Import a sheet (.xlsx/.xls/.ods/.csv) as a user: a dry run first, then all or nothing, "
        "recorded as a batch that can be undone."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", default="customers", choices=sorted(KINDS))
        parser.add_argument("--user", default="admin", help="login whose access rules apply")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--skip-errors", action="store_true", help="import the good rows")
        parser.add_argument("--matched", choices=["update", "create", "skip"], default="update")
        parser.add_argument("--duplicates", choices=["create", "skip"], default="skip")

    def handle(self, *args, **opts):
        try:
            actor = User.objects.get(username=opts["user"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {opts['user']!r}") from None
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            batch = services.upload(actor, path.read_bytes(), path.name, opts["kind"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        summary = batch.summary
        mapped = [
            f"{h} → {f}"
            for h, f in zip(batch.mapping["headers"], batch.mapping["fields"], strict=False)
            if f
        ]
        self.stdout.write(f"batch {batch.pk}: header in row {batch.mapping['header_row'] + 1}")
        self.stdout.write("columns: " + ", ".join(mapped))
        self.stdout.write(
            "rows {rows:,}: new {new:,}, matched {matched:,}, unchanged {unchanged:,}, "
            "duplicates {duplicate:,}, repeated in file {in_file:,}, errors {error:,}".format(
                **summary
            )
        )
        for sample in summary["samples"]:
            for column, message in sample["problems"]:
                self.stdout.write(f"  row {sample['number']} · {column}: {message}")
        if opts["dry_run"]:
            return
        choices = {"matched": opts["matched"], "duplicate": opts["duplicates"]}
        if opts["skip_errors"]:
            choices["error"] = "skip"
        try:
            batch = importer.commit(actor, batch, choices)
        except importer.ImportRefused as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        if batch.status == batch.Status.DONE:
            self.stdout.write(
                f"imported: {batch.summary['created']:,} created, "
                f"{batch.summary['updated']:,} updated (undo: batch {batch.pk})"
            )
        else:
            self.stdout.write(f"queued for the worker: batch {batch.pk}")
