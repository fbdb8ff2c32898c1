from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from kehu.core import backup


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `kehu backup`, then verify every "
        "table's row count and checksum against the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .sqlite3 or .dump file written by `kehu backup`")
        parser.add_argument(
            "--yes", action="store_true", help="overwrite a database that holds data"
        )
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="restore a backup that has no manifest, without checking the result",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **opts):
        path = Path(opts["path"])
        connection = connections[opts["database"]]
        target = dict(connection.settings_dict)
        try:
            backup.kind_of_file(path)  # a missing or foreign file is said before anything else
            if not opts["yes"]:
                filled = backup.rows_in_target(target)
                if filled:
                    first = ("customers_customer", "accounts_user")  # the telling ones first
                    ordered = sorted(filled, key=lambda t: (t not in first, t))
                    names = ", ".join(ordered[:5]) + (", …" if len(filled) > 5 else "")
                    raise CommandError(
                        _(
                            "The database %(name)s already holds data (%(count)s tables with "
                            "rows: %(tables)s). Restoring replaces all of it with the backup; "
                            "run again with --yes to do so."
                        )
                        % {"name": target["NAME"], "count": len(filled), "tables": names}
                    )
            # this process's own connection must not keep the old schema or a lock
            connection.close()
            result = backup.restore(path, target, verify_after=not opts["no_verify"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            connection.close()
        if result["problems"]:
            raise CommandError(
                _("Restored, but the database does not match the backup:")
                + "\n  "
                + "\n  ".join(result["problems"])
            )
        if result["manifest"] is None:
            self.stdout.write(
                _("Restored %(path)s in %(seconds).1f s (not verified: no manifest).")
                % {"path": path, "seconds": result["seconds"]}
            )
        else:
            self.stdout.write(
                _(
                    "Restored %(path)s in %(seconds).1f s; verified %(tables)s tables, "
                    "%(rows)s rows: counts and checksums match the backup."
                )
                % {
                    "path": path,
                    "seconds": result["seconds"],
                    "tables": result["tables"],
                    "rows": f"{result['rows']:,}",
                }
            )
