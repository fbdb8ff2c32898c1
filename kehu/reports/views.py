"""Dashboards and pivots: parse, call kehu.reports.dashboard / pivot, render."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.core.db_router import reporting_view
from kehu.sheets import downloads

from . import dashboard, dashboard_export, dashboard_page


@require_GET
@reporting_view
def dashboard_view(request):
    kind = request.GET.get("period", "")
    kind = kind if kind in dashboard.PERIOD_KINDS else dashboard.periods.Kind.MONTH
    data = dashboard.figures(request.user, kind)
    url = dashboard_page.links(data)
    cards = dashboard_page.cards(data, url)
    scope_label = _("My book") if data["scope"].level == "me" else data["scope"].label
    if downloads.wanted(request):
        return _download(request, data, cards, scope_label)
    return render(
        request,
        "reports/dashboard.html",
        {
            **data,
            "kind": kind,
            "kinds": [(k, dashboard.periods.Kind(k).label) for k in dashboard.PERIOD_KINDS],
            "cards": cards,
            "charts": dashboard_page.chart_options(data, url),
            "links": url,
            "my_day": data["charts"]["my_day"],
            "cache_minutes": max(dashboard.cache_seconds() // 60, 1),
            "scope_label": scope_label,
            "query": downloads.query_without_format(request),
        },
    )


def _download(request, data: dict, cards: list[dict], scope_label: str):
    """The dashboard's figures: .xlsx a sheet per table and chart, CSV the KPI tiles."""
    title = dashboard_export.title(data, scope_label)
    sheets = dashboard_export.workbook(request.user, data, cards, scope_label)
    return downloads.respond_book(request, title, sheets)
