"""Dashboards and pivots: parse, call kehu.reports.dashboard / pivot, render."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.core.db_router import reporting_view

from . import dashboard, dashboard_page


@require_GET
@reporting_view
def dashboard_view(request):
    kind = request.GET.get("period", "")
    kind = kind if kind in dashboard.PERIOD_KINDS else dashboard.periods.Kind.MONTH
    data = dashboard.figures(request.user, kind)
    url = dashboard_page.links(data)
    return render(
        request,
        "reports/dashboard.html",
        {
            **data,
            "kind": kind,
            "kinds": [(k, dashboard.periods.Kind(k).label) for k in dashboard.PERIOD_KINDS],
            "cards": dashboard_page.cards(data, url),
            "charts": dashboard_page.chart_options(data, url),
            "links": url,
            "my_day": data["charts"]["my_day"],
            "cache_minutes": max(dashboard.cache_seconds() // 60, 1),
            "scope_label": _("My book") if data["scope"].level == "me" else data["scope"].label,
        },
    )
