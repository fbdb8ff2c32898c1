"""The annual plan (年度计划表) as sheets, laid out as the pages show it.

- The plan list: one row per plan (the company's, each team's, each rep's) and, for each
  target, its plan, actual and progress, with the pace for the pro-rata ones, like the cards.
- One plan: its progress table (one row per target, as the page), the month-by-month figures
  the chart draws and the quarterly review notes, one sheet each; CSV holds the progress table.

Every figure comes from kehu.planning.queries, the functions the pages use, so a person exports
exactly the plans they may see. Amounts stay Decimal; rates are written as shown (42.0 for 42%).
"""

from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.sheets import downloads, export
from kehu.sheets.downloads import labels, verbose

from . import queries
from .models import AnnualPlan, PlanReview

# a target's unit (kehu.sales.lifecycle.Figure.unit) → the cell kind of its plan and actual
KINDS = {"CNY": export.MONEY, "%": export.NUMBER}


def _kind(p: queries.Progress) -> str:
    return KINDS.get(p.unit) or (export.INTEGER if p.key == "new_customers" else export.NUMBER)


def _unit(unit: str) -> str:
    return {"CNY": _("CNY"), "%": "%", "days": _("days")}.get(unit, unit)


def _metric(p: queries.Progress) -> str:
    """The target's name as the progress table shows it."""
    label = capfirst(str(p.label))
    return f"{label} ({_('at most')})" if p.lower_is_better else label


def _target(p: queries.Progress):
    return p.target or None  # no target: "—" on the page, an empty cell here


def _pace(p: queries.Progress) -> str:
    """The words under a pro-rata target's bar (on pace, behind pace); elsewhere none."""
    if p.expected is None or p.on_track is None:
        return ""
    return _("on pace") if p.on_track else _("behind pace")


def _paces() -> tuple[str, str]:
    return (_("on pace"), _("behind pace"))


def _expected(p: queries.Progress):
    return p.expected if p.percent is not None else None  # shown under the bar only


def _levels() -> dict[str, str]:
    return {"company": _("company"), "team": _("team"), "rep": _("rep")}


def _level(plan: AnnualPlan) -> str:
    return _levels()["rep" if plan.user_id else "team" if plan.team_id else "company"]


# --- the plan list --------------------------------------------------------------------------
def _header(metric: str, column: str) -> str:
    return _("%(metric)s: %(column)s") % {"metric": metric, "column": column}


def _metric_with_unit(p: queries.Progress) -> str:
    label = capfirst(str(p.label))
    if p.unit in KINDS:
        return _("%(label)s (%(unit)s)") % {"label": label, "unit": _unit(p.unit)}
    return label


def list_columns(progress: list[queries.Progress]) -> list[export.Column]:
    """`progress` is any plan's (the targets are the same for every plan, in the same order)."""
    columns = [
        export.Column(verbose(AnnualPlan, "year"), export.INTEGER),
        export.Column(_("scope"), width=20),
        export.Column(_("kind"), choices=tuple(_levels().values())),
    ]
    for p in progress:
        metric, kind = _metric_with_unit(p), _kind(p)
        columns += [
            export.Column(_header(metric, _("at most") if p.lower_is_better else _("plan")), kind),
            export.Column(_header(metric, _("actual")), kind),
            export.Column(_header(metric, _("progress (%)")), export.INTEGER),
        ]
        if p.pro_rata:
            columns += [
                export.Column(_header(metric, _("status")), choices=_paces()),
                export.Column(_header(metric, _("expected by today")), kind),
            ]
    return columns


def list_rows(rows: Iterable[tuple[AnnualPlan, list[queries.Progress]]]) -> Iterator[list]:
    """`rows` is the page's: (plan, its progress), in the page's order."""
    for plan, progress in rows:
        row = [plan.year, plan.scope_label, _level(plan)]
        for p in progress:
            row += [_target(p), p.actual, p.percent]
            if p.pro_rata:
                row += [_pace(p), _expected(p)]
        yield row


def list_response(request, year: int, rows: list):
    """The plan list of `year` as .xlsx or CSV (`rows` as the page shows them)."""
    title = f"{_('Annual plan')} {year}"
    # the header names the targets: any plan's progress has them (none shown: a blank plan's)
    progress = rows[0][1] if rows else queries.progress(AnnualPlan(year=year))
    return downloads.respond(request, title, list_columns(progress), list_rows(rows))


# --- one plan -------------------------------------------------------------------------------
def progress_columns() -> list[export.Column]:
    """The page's progress table: targets of different units share the plan and actual
    columns, so these are plain numbers; the unit column says which."""
    return [
        export.Column(_("metric"), width=22),
        export.Column(_("unit")),
        export.Column(_("plan"), export.NUMBER),
        export.Column(_("actual"), export.NUMBER),
        export.Column(_("progress (%)"), export.INTEGER),
        export.Column(_("status"), choices=_paces()),
        export.Column(_("expected by today"), export.NUMBER),
        export.Column(_("definition"), width=60),
    ]


def progress_rows(progress: list[queries.Progress]) -> Iterator[list]:
    for p in progress:
        yield [
            _metric(p),
            _unit(p.unit),
            _target(p),
            p.actual,
            p.percent,
            _pace(p),
            _expected(p),
            str(p.definition),
        ]


def month_columns() -> list[export.Column]:
    return [
        export.Column(_("month"), export.INTEGER),
        export.Column(_("revenue (CNY)"), export.MONEY),
        export.Column(_("cumulative revenue"), export.MONEY),
        export.Column(_("target pace"), export.MONEY),
        export.Column(_("new customers"), export.INTEGER),
    ]


def month_rows(months: list[queries.Month]) -> Iterator[list]:
    for m in months:
        yield [m.month, m.revenue, m.cumulative, m.target, m.new_customers]


def review_columns() -> list[export.Column]:
    return [
        export.Column(
            verbose(PlanReview, "quarter"),
            choices=labels(PlanReview._meta.get_field("quarter").choices),
        ),
        export.Column(_("by")),
        export.Column(verbose(PlanReview, "created_at"), export.DATE),
        export.Column(verbose(PlanReview, "note"), width=60),
    ]


def review_rows(reviews) -> Iterator[list]:
    """`reviews` is the page's queryset (with the author selected), in the page's order."""
    for r in reviews:
        yield [
            r.get_quarter_display(),
            str(r.author) if r.author else "",
            timezone.localtime(r.created_at).date(),  # the page shows the day
            r.note,
        ]


def plan_response(request, plan: AnnualPlan, progress, months, reviews):
    """One plan as the page shows it: .xlsx with a sheet per table; CSV, the progress table."""
    title = f"{_('Annual plan')} {plan}"
    return downloads.respond_book(
        request,
        title,
        [
            (_("Progress"), progress_columns(), progress_rows(progress)),
            (_("Month by month"), month_columns(), month_rows(months)),
            (_("Quarterly reviews"), review_columns(), review_rows(reviews)),
        ],
    )
