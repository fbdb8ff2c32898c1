"""The pivot page: parse the choices, run kehu.reports.pivot, show a table and a chart, or
write it as .xlsx. A choice the pivot cannot make is a message on the page, never an error."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.core.db_router import reporting_view
from kehu.core.params import date_param
from kehu.sheets import export

from . import pivot


def spec_of(request) -> tuple[pivot.Spec, list[str]]:
    get = request.GET
    errors = []
    since, until = date_param(request, "since"), date_param(request, "until")
    for key, value in (("since", since), ("until", until)):
        if get.get(key) and value is None:
            errors.append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": get[key]})
    spec = pivot.Spec(
        source=get.get("source", "customers"),
        rows=get.get("rows", "tier"),
        columns=get.get("columns", ""),
        measure=get.get("measure", "count"),
        amount=get.get("amount", ""),
        since=since,
        until=until,
    )
    return spec, errors


@require_GET
@reporting_view
def pivot_view(request):
    spec, errors = spec_of(request)
    result = None
    if not errors:
        try:
            result = pivot.run(request.user, spec)
        except pivot.PivotError as exc:
            errors.append(str(exc))
    if result is not None and request.GET.get("format") == "xlsx":
        return xlsx(result)
    return render(
        request,
        "reports/pivot.html",
        {
            "spec": spec,
            "errors": errors,
            "result": result,
            "table": result.table() if result else [],
            "col_totals": [result.col_total(c) for c in result.col_keys] if result else [],
            "chart": pivot.chart(result) if result else None,
            "sources": pivot.SOURCES,
            "source": pivot.SOURCES.get(spec.source),
            "measures": pivot.MEASURES,
            "max_values": pivot.MAX_VALUES,
            "query": request.GET.urlencode(),
        },
    )


def xlsx(result: pivot.Result):
    kind = export.INTEGER if result.spec.measure == "count" else export.MONEY
    columns = [export.Column(str(result.row_dim.label))]
    columns += [export.Column(result.col_labels[c], kind) for c in result.col_keys]
    columns.append(export.Column(_("total"), kind))
    rows = [[r["label"], *r["cells"], r["total"]] for r in result.table()]
    rows.append([_("total"), *[result.col_total(c) for c in result.col_keys], result.total()])
    sheet = f"{result.source.label} · {result.measure_label}"[:31]
    return export.xlsx_response(_("pivot"), sheet, columns, rows)
