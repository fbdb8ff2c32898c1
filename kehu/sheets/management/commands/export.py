from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers import queries
from kehu.customers.forms import CustomerFilterForm
from kehu.sheets import customer_export, export


class Command(BaseCommand):
    help = _(
        "Export the customer list as a user sees it (their access, the filters and columns of a "
        "list URL's query string) to .xlsx or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["customers"])
        parser.add_argument("--user", default="admin", help="login whose access rules apply")
        parser.add_argument(
            "--query", default="", help="the list's query string, e.g. 'tier=A&status=customer'"
        )
        parser.add_argument("--out", required=True, help="file to write (.xlsx or .csv)")

    def handle(self, *args, **opts):
        try:
            actor = User.objects.get(username=opts["user"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {opts['user']!r}") from None
        query = QueryDict(opts["query"])
        form = CustomerFilterForm(query or None, actor=actor)
        columns, rows = customer_export.rows(
            actor, form.params(), queries.parse_columns(query.get("cols")), query.get("sort")
        )
        out = Path(opts["out"])
        if out.suffix.lower() == ".csv":
            response = export.csv_response(out.stem, columns, rows)
            out.write_bytes(response.content)
        else:
            out.write_bytes(export.xlsx_bytes(str(_("customers")), columns, rows))
        self.stdout.write(f"wrote {out}")
