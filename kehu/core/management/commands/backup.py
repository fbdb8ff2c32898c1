from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from kehu.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database while Kehu keeps serving: SQLite's online backup or pg_dump, "
        "with a manifest of row counts and checksums beside it. --verify PATH checks a backup."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="where to write (default var/backups/kehu-<timestamp>.sqlite3 or .dump)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="check the backup at PATH against its manifest instead of writing one",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **opts):
        try:
            if opts["verify"]:
                if not opts["path"]:
                    raise CommandError(_("--verify needs the path of a backup."))
                self._verify(Path(opts["path"]))
            else:
                self._backup(opts["path"], opts["database"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc

    def _backup(self, path, alias):
        connection = connections[alias]
        kind = backup.backend_of(connection.settings_dict)
        path = Path(path) if path else backup.default_path(settings.VAR_DIR, kind)
        manifest = backup.backup(connection, path)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            _(
                "Backed up %(tables)s tables, %(rows)s rows (%(mb).1f MB) in %(seconds).1f s "
                "to %(path)s"
            )
            % {
                "tables": len(manifest["tables"]),
                "rows": f"{rows:,}",
                "mb": manifest["bytes"] / 1e6,
                "seconds": manifest["seconds"],
                "path": path,
            }
        )
        self.stdout.write(_("Manifest: %(path)s") % {"path": backup.manifest_path(path)})

    def _verify(self, path):
        manifest = backup.verify(path)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        if manifest["backend"] == backup.SQLITE:
            message = _("%(path)s is intact: %(tables)s tables, %(rows)s rows match the manifest.")
        else:
            message = _(
                "%(path)s is intact (checksum and archive listing); its manifest records "
                "%(tables)s tables, %(rows)s rows."
            )
        self.stdout.write(
            message % {"path": path, "tables": len(manifest["tables"]), "rows": f"{rows:,}"}
        )
