from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers import queries
from kehu.customers.forms import CustomerFilterForm
from kehu.sheets import customer_export, export


def _sheet(kind: str, actor, query: QueryDict):
    """(title, columns, rows) of a list as `actor` sees it with the list's query string."""
    if kind == "customers":
        form = CustomerFilterForm(query or None, actor=actor)
        columns, rows = customer_export.rows(
            actor, form.params(), queries.parse_columns(query.get("cols")), query.get("sort")
        )
        return _("customers"), columns, rows
    scope = query.get("scope", "team")
    if kind == "interactions":
        from kehu.followups import exports
        from kehu.followups import queries as followup_queries

        rows = followup_queries.interaction_log(actor, scope, method=query.get("method", ""))
        return _("Interaction log"), exports.interaction_columns(), exports.interaction_rows(rows)
    if kind == "followups":
        from kehu.followups import exports
        from kehu.followups import queries as followup_queries

        rows = followup_queries.plan_sheet(actor, scope, status=query.get("status", ""))
        return _("Follow-up plan"), exports.plan_columns(), exports.plan_rows(rows)
    if kind == "orders":
        from kehu.sales import exports
        from kehu.sales import queries as sales_queries

        rows = sales_queries.order_list(actor, {}).order_by("-order_date", "-pk")
        return _("Orders"), exports.columns(), exports.rows(rows)
    from kehu.pipeline import exports
    from kehu.pipeline import queries as pipeline_queries

    rows = pipeline_queries.deals(actor, scope).order_by("-updated_at", "-pk")
    return _("Deals"), exports.columns(), exports.rows(rows)


class Command(BaseCommand):
    help = (
        "Export a list as a user sees it (their access; the filters of the list's query string) "
        "to .xlsx or CSV: customers, interactions, follow-ups, deals or orders."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=["customers", "interactions", "followups", "deals", "orders"]
        )
        parser.add_argument("--user", default="admin", help="login whose access rules apply")
        parser.add_argument(
            "--query",
            default="",
            help="the list's query string, e.g. 'tier=A&status=customer' or 'scope=me'",
        )
        parser.add_argument("--out", required=True, help="file to write (.xlsx or .csv)")

    def handle(self, *args, **opts):
        try:
            actor = User.objects.get(username=opts["user"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {opts['user']!r}") from None
        title, columns, rows = _sheet(opts["kind"], actor, QueryDict(opts["query"]))
        out = Path(opts["out"])
        if out.suffix.lower() == ".csv":
            out.write_bytes(b"".join(export.csv_response(out.stem, columns, rows)))
        else:
            out.write_bytes(export.xlsx_bytes(str(title), columns, rows))
        self.stdout.write(f"wrote {out}")
