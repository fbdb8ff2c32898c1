"""The target board and the leaderboard as sheets: the rows the pages show (the same
access-scoped attainment rows, in the same order), with the figures as real cells — money to
the cent, new customers in whole units as the pages show them, attainment as a percentage."""

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.sheets import export

from .models import Target
from .queries import Attainment

# characters a sheet's name may not hold (the name is also the file's)
UNSAFE = re.compile(r"[\[\]:*?/\\]")
CENT = Decimal("0.01")


def title(*parts) -> str:
    """The sheet's (and the file's) name: the page, its metric and period, joined."""
    return UNSAFE.sub("_", " · ".join(str(p) for p in parts if p)).strip("'")


def _figure_kind(metric: str) -> str:
    return export.INTEGER if metric == Target.Metric.NEW_CUSTOMERS else export.MONEY


def _attainment_columns(metric: str) -> list[export.Column]:
    """The columns of targets/partials/attainment_head.html."""
    figure = _figure_kind(metric)
    return [
        export.Column(_("Target"), figure),
        export.Column(_("Actual"), figure),
        export.Column(_("attainment (%)"), export.NUMBER),
        export.Column(_("Expected by now"), figure),
        export.Column(_("Forecast"), figure),
        export.Column(_("Gap"), figure),
        export.Column(_("Pace"), choices=(_("Behind pace"), _("On pace"))),
    ]


def _figure(value, target: Target):
    """As the pages show it (the `figure` filter): whole customers, or 元 to the cent."""
    if value is None:
        return None
    return int(value) if target.whole_units else Decimal(value).quantize(CENT)


def _pace(a: Attainment) -> str:
    """The page's badge (targets/partials/attainment_cells.html)."""
    if a.behind:
        return _("Behind pace")
    if a.percent is not None and a.share > 0:
        return _("On pace")
    return ""


def _attainment_cells(a: Attainment) -> list:
    t = a.target
    return [
        _figure(t.amount, t),
        _figure(a.actual, t),
        a.percent,
        _figure(a.expected, t),
        _figure(a.forecast, t),
        _figure(a.gap, t),
        _pace(a),
    ]


def board_columns(metric: str) -> list[export.Column]:
    return [
        export.Column(_("Scope"), width=24),
        *_attainment_columns(metric),
        export.Column(_("locked")),
    ]


def board_rows(rows: Iterable[Attainment]) -> Iterator[list]:
    """`rows` is the page's (queries.board): the actor's visible targets, company first."""
    yes = _("Yes")
    for a in rows:
        yield [a.target.scope_label, *_attainment_cells(a), yes if a.target.locked else ""]


def leaderboard_columns(metric: str) -> list[export.Column]:
    return [
        export.Column("#", export.INTEGER, width=5),
        export.Column(_("rep"), width=16),
        *_attainment_columns(metric),
    ]


def leaderboard_rows(rows: Iterable[Attainment]) -> Iterator[list]:
    """`rows` is the page's (queries.leaderboard), ranked."""
    for rank, a in enumerate(rows, start=1):
        yield [rank, str(a.target.user), *_attainment_cells(a)]
