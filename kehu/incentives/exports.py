"""The payout report as a sheet: one row per person and a total, real numbers throughout."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.sheets import export

from .queries import PayoutReport


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
