"""The incentives pages as sheets, real numbers throughout: the payout report (one row per
person and a total), the plans page (the plans, their bands and example payouts) and a rep's
period review (its three tables)."""

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from kehu.sheets import export
from kehu.sheets.downloads import labels, verbose
from kehu.targets import periods
from kehu.targets.models import Target

from .models import CommissionBand, CommissionPlan
from .queries import PayoutReport, Review


def columns() -> list[export.Column]:
    return [
        export.Column(_("rep")),
        export.Column(_("team")),
        export.Column(_("target"), export.MONEY),
        export.Column(_("actual"), export.MONEY),
        export.Column(_("attainment (%)"), export.NUMBER),
        export.Column(_("band"), export.INTEGER),
        export.Column(_("rate (%)"), export.NUMBER),
        export.Column(_("payout (CNY)"), export.MONEY),
        export.Column(_("note"), width=30),
    ]


def note(row) -> str:
    parts = []
    if row.target is None:
        parts.append(_("no target"))
    if row.result.capped_attainment:
        parts.append(_("attainment capped"))
    if row.result.capped:
        parts.append(_("payout capped"))
    return "; ".join(parts)


def rows(report: PayoutReport) -> Iterator[list]:
    for row in report.rows:
        yield [
            str(row.user),
            str(row.user.team or ""),
            row.target,
            row.actual,
            row.result.attainment,
            row.result.band,
            row.result.rate if row.result.band else None,
            row.amount,
            note(row),
        ]
    yield [
        _("Total"),
        "",
        report.total_target,
        report.total_actual,
        report.attainment,
        None,
        None,
        report.total_payout,
        "",
    ]


# --- the plans page -------------------------------------------------------------------------
def _yes_no() -> tuple[str, str]:
    return (_("Yes"), _("No"))


def plan_columns() -> list[export.Column]:
    """One line per plan: the card header and its rules; the bands also as one text cell, so
    that the CSV (a single sheet) still says what the plan pays."""
    return [
        export.Column(verbose(CommissionPlan, "name"), width=24),
        export.Column(verbose(CommissionPlan, "active"), choices=_yes_no()),
        export.Column(verbose(CommissionPlan, "metric"), choices=labels(Target.Metric.choices)),
        export.Column(verbose(CommissionPlan, "period"), choices=labels(periods.Kind.choices)),
        export.Column(verbose(CommissionPlan, "team"), width=16),
        export.Column(
            verbose(CommissionPlan, "mode"), width=30, choices=labels(CommissionPlan.Mode.choices)
        ),
        export.Column(verbose(CommissionPlan, "accelerator"), export.NUMBER),
        export.Column(verbose(CommissionPlan, "cap_amount"), export.MONEY),
        export.Column(verbose(CommissionPlan, "cap_percent"), export.NUMBER),
        export.Column(_("Bands"), width=40),
        export.Column(_("version"), export.INTEGER),
    ]


def plan_rows(plans: Iterable[CommissionPlan]) -> Iterator[list]:
    """`plans` is the page's (queries.visible_plans with the bands prefetched), in its order."""
    yes, no = _yes_no()
    for plan in plans:
        yield [
            plan.name,
            yes if plan.active else no,
            plan.get_metric_display(),
            plan.get_period_display(),
            str(plan.team) if plan.team_id else _("Everybody"),
            plan.get_mode_display(),
            plan.accelerator,
            plan.cap_amount,
            plan.cap_percent,
            "; ".join(str(b) for b in plan.bands.all()),
            plan.version,
        ]


def band_columns() -> list[export.Column]:
    return [
        export.Column(verbose(CommissionPlan, "name"), width=24),
        export.Column(_("band"), export.INTEGER),
        export.Column(verbose(CommissionBand, "from_percent"), export.NUMBER),
        export.Column(verbose(CommissionBand, "rate"), export.NUMBER),
    ]


def band_rows(plans: Iterable[CommissionPlan]) -> Iterator[list]:
    for plan in plans:
        for n, band in enumerate(plan.bands.all(), start=1):
            yield [plan.name, n, band.from_percent, band.rate]


def example_columns() -> list[export.Column]:
    """The page's example table, with the example target it is computed for."""
    return [
        export.Column(verbose(CommissionPlan, "name"), width=24),
        export.Column(_("target"), export.MONEY),
        export.Column(_("attainment (%)"), export.NUMBER),
        export.Column(_("actual"), export.MONEY),
        export.Column(_("band"), export.INTEGER),
        export.Column(_("rate (%)"), export.NUMBER),
        export.Column(_("payout (CNY)"), export.MONEY),
        export.Column(_("note"), width=20),
    ]


def example_rows(rows, target) -> Iterator[list]:
    """`rows` is the page's: (plan, commission.examples(plan.terms())) pairs."""
    for plan, examples in rows:
        for percent, actual, result in examples:
            notes = []
            if result.capped_attainment:
                notes.append(_("attainment capped"))
            if result.capped:
                notes.append(_("payout capped"))
            yield [
                plan.name,
                target,
                percent,
                actual,
                result.band,
                result.rate,
                result.amount,
                "; ".join(notes),
            ]


def plans_book(rows, target) -> list:
    """The plans page as a workbook: the plans, their bands, their example payouts."""
    plans = [plan for plan, _examples in rows]
    return [
        (_("Commission plans"), plan_columns(), plan_rows(plans)),
        (_("Bands"), band_columns(), band_rows(plans)),
        (_("Examples"), example_columns(), example_rows(rows, target)),
    ]


# --- the period review ----------------------------------------------------------------------
def attainment_columns() -> list[export.Column]:
    return [
        export.Column(_("metric"), width=14),
        # amounts and counts, by the row's metric
        export.Column(_("target"), export.FIGURE),
        export.Column(_("actual"), export.FIGURE),
        export.Column(_("attainment (%)"), export.NUMBER),
        export.Column(_("team: target per person"), export.FIGURE),
        export.Column(_("team: actual per person"), export.FIGURE),
        export.Column(_("team attainment (%)"), export.NUMBER),
    ]


def attainment_rows(review: Review) -> Iterator[list]:
    for a in review.attainment:
        yield [
            str(a["label"]),
            a["target"],
            a["actual"],
            a["percent"],
            a["team_target"],
            a["team_actual"],
            a["team_percent"],
        ]


def method_columns(review: Review) -> list[export.Column]:
    """As the page: the rep's name heads their column."""
    return [
        export.Column(_("method"), width=16),
        export.Column(str(review.user), export.INTEGER),
        export.Column(_("team average"), export.NUMBER),
    ]


def method_rows(review: Review) -> Iterator[list]:
    for f in review.methods:
        yield [str(f.label), f.mine, f.team]


def deal_columns(review: Review) -> list[export.Column]:
    """Counts, an amount and a rate side by side: the unit says which (as the review report's
    workbook does)."""
    return [
        export.Column(_("figure"), width=24),
        export.Column(str(review.user), export.NUMBER),
        export.Column(_("team average"), export.NUMBER),
        export.Column(_("unit"), width=8),
    ]


def deal_rows(review: Review) -> Iterator[list]:
    units = {"%": "%", "CNY": _("CNY")}
    figures = [*review.deals, *([review.overdue] if review.overdue else [])]
    for f in figures:
        yield [str(f.label), f.mine, f.team, units.get(f.unit, f.unit)]


def review_book(review: Review) -> list:
    """The review page's three tables, one sheet each (the CSV holds the attainment)."""
    return [
        (_("Attainment"), attainment_columns(), attainment_rows(review)),
        (_("Interactions by method"), method_columns(review), method_rows(review)),
        (_("Deals and follow-ups"), deal_columns(review), deal_rows(review)),
    ]
