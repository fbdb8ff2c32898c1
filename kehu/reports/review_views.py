"""The review report (复盘) as a page, a workbook and a PDF: the same query string
(?period=month|quarter&at=…&team=…&user=…) gives the same report in all three."""

import logging

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.core.db_router import reporting_view
from kehu.sales import lifecycle
from kehu.sheets import export
from kehu.sheets.export import Column

from . import review

log = logging.getLogger(__name__)


def _scope(request) -> lifecycle.Scope:
    team = user = None
    if (request.GET.get("team") or "").isdigit():
        team = get_object_or_404(Team, pk=int(request.GET["team"]))
    if (request.GET.get("user") or "").isdigit():
        user = get_object_or_404(User, pk=int(request.GET["user"]))
    return lifecycle.scope_for(request.user, team=team, user=user)


def _choices(actor) -> tuple[list, list]:
    """The teams and people whose review the actor may open (scope_for says the same)."""
    if not (actor.sees_everything or actor.is_manager or actor.is_read_only):
        return [], []
    teams = list(access.visible_teams(actor).order_by("path"))
    people = (
        User.objects.filter(is_active=True, team__in=teams)
        .exclude(role=User.Role.VIEWER)
        .order_by("name")
    )
    return teams, list(people)


def _report(request) -> review.Review:
    today = timezone.localdate()
    period = review.period_for(request.GET.get("period", ""), request.GET.get("at", ""), today)
    return review.build(request.user, _scope(request), period, today)


def _query(report: review.Review, **changes) -> str:
    params = {"period": report.period.kind, "at": report.period.key}
    if report.scope.team:
        params["team"] = report.scope.team.pk
    if report.scope.user:
        params["user"] = report.scope.user.pk
    params.update(changes)
    return "&".join(f"{k}={v}" for k, v in params.items())


def _filename(report: review.Review, ext: str) -> str:
    return f"{report.period.title}-{report.scope.label}-{report.period.key}.{ext}"


@reporting_view
def review_page(request):
    report = _report(request)
    teams, people = _choices(request.user)
    return render(
        request,
        "reports/review.html",
        {
            "report": report,
            "teams": teams,
            "people": people,
            "scope": report.scope,
            "query": _query(report),
            "previous_query": _query(report, at=report.period.previous.key),
            "next_query": _query(report, at=report.period.next.key),
            "quarter_query": _query(report, period="quarter"),
            "month_query": _query(report, period="month"),
            "churn_days": lifecycle.settings.KEHU_CHURN_DAYS,
        },
    )


# --- the workbook ---------------------------------------------------------------------------
def sheet_names() -> list[str]:
    return [
        _("overview"),
        _("high-value traits"),
        _("churn reasons"),
        _("lost reasons"),
        _("overdue work"),
    ]


def workbook(report: review.Review) -> list:
    overview, traits, churn, lost, overdue = sheet_names()
    figures = [
        Column(_("figure"), width=24),
        Column(_("this period"), export.NUMBER),
        Column(_("previous period"), export.NUMBER),
        Column(_("difference"), export.NUMBER),
        Column(_("difference (%)"), export.NUMBER),
        Column(_("unit"), width=8),
        Column(_("definition"), width=70),
    ]
    units = {"%": "%", "CNY": _("CNY")}
    figure_rows = [
        [
            str(f.label),
            f.value,
            f.previous,
            f.delta,
            f.delta_pct,
            units.get(f.unit, f.unit),
            str(f.definition),
        ]
        for f in report.figures
    ]
    context = [
        [_("scope"), None, None, None, None, "", report.scope.label],
        [
            _("period"),
            None,
            None,
            None,
            None,
            "",
            f"{report.period.label} ({report.period.start} – {report.period.end}); "
            + _("previous period")
            + f" {report.period.previous.label}",
        ],
    ]
    trait_columns = [
        Column(_("dimension"), width=14),
        Column(pgettext("a trait's value", "value"), width=20),
        Column(_("high-value customers"), export.INTEGER),
        Column(_("share among high-value (%)"), export.NUMBER),
        Column(_("all paying customers"), export.INTEGER),
        Column(_("share among all (%)"), export.NUMBER),
        Column(_("lift"), export.NUMBER),
    ]
    trait_rows = [
        [t.dimension_label, t.value, t.high, t.high_share, t.base, t.base_share, t.lift]
        for rows in report.traits.values()
        for t in rows
    ]
    churn_columns = [
        Column(_("reason"), width=36),
        Column(_("churned customers"), export.INTEGER),
        Column(_("share (%)"), export.NUMBER),
        Column(_("customer"), width=30),
        Column(_("owner")),
        Column(_("purchases (CNY)"), export.MONEY),
        Column(_("last order"), export.DATE),
    ]
    churn_rows = [
        [r["label"], r["customers"], r["share"], "", "", None, None]
        for r in report.churn["reasons"]
    ]
    churn_rows += [
        [
            "、".join(c["reasons"]),
            None,
            None,
            c["name"],
            c["owner"],
            c["purchase_total"],
            c["last_purchase_on"],
        ]
        for c in report.churn["customers"]
    ]
    lost_columns = [
        Column(_("lost reason"), width=40),
        Column(_("deals"), export.INTEGER),
        Column(_("share (%)"), export.NUMBER),
        Column(_("amount (CNY)"), export.MONEY),
    ]
    lost_rows = [[r["reason"], r["deals"], r["share"], r["amount"]] for r in report.lost["reasons"]]
    overdue_columns = [
        Column(_("owner")),
        Column(_("overdue follow-ups"), export.INTEGER),
        Column(_("oldest due"), export.DATE),
        Column(_("days late"), export.INTEGER),
        Column(_("open complaints"), export.INTEGER),
        Column(_("worst severity")),
    ]
    overdue_rows = [
        [
            r["owner"],
            r["followups"],
            r["oldest_due"],
            r["days_late"],
            r["complaints"],
            str(r["worst"]),
        ]
        for r in report.overdue["owners"]
    ]
    return [
        (overview, figures, figure_rows + context),
        (traits, trait_columns, trait_rows),
        (churn, churn_columns, churn_rows),
        (lost, lost_columns, lost_rows),
        (overdue, overdue_columns, overdue_rows),
    ]


@reporting_view
def review_xlsx(request):
    report = _report(request)
    name = _filename(report, "xlsx").removesuffix(".xlsx")
    return export.xlsx_book_response(name, workbook(report))


# --- the PDF --------------------------------------------------------------------------------
@reporting_view
def review_pdf(request):
    report = _report(request)
    html = render_to_string(
        "reports/review_pdf.html",
        {"report": report, "churn_days": lifecycle.settings.KEHU_CHURN_DAYS},
        request=request,
    )
    try:
        # imported here: WeasyPrint loads Pango through cffi at import, and a machine without
        # the Debian libraries should still serve every other page
        import weasyprint
    except (ImportError, OSError) as exc:
        log.warning("WeasyPrint cannot be loaded: %s", exc)
        return render(
            request,
            "reports/review_pdf_unavailable.html",
            {"error": str(exc), "query": _query(report)},
            status=503,
        )
    # self-contained (its CSS inline, fonts from the system): nothing for WeasyPrint to fetch
    pdf = weasyprint.HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = export._disposition(_filename(report, "pdf"))
    return response
