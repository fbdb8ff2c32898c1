"""Periods of a target: a year, a quarter or a month, named by their first day. Pure."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Kind(models.TextChoices):
    YEAR = "year", gettext_lazy("Year")
    QUARTER = "quarter", gettext_lazy("Quarter")
    MONTH = "month", gettext_lazy("Month")


MONTHS = {Kind.YEAR: 12, Kind.QUARTER: 3, Kind.MONTH: 1}
CHILD = {Kind.YEAR: Kind.QUARTER, Kind.QUARTER: Kind.MONTH}


def start_of(kind: str, day: date) -> date:
    if kind == Kind.YEAR:
        return date(day.year, 1, 1)
    if kind == Kind.QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, day.month, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def end(kind: str, start: date) -> date:
    return _add_months(start, MONTHS[kind]) - timedelta(days=1)


def children(kind: str, start: date) -> list[tuple[str, date]]:
    """A year's quarters, a quarter's months; a month has none."""
    child = CHILD.get(kind)
    if child is None:
        return []
    step = MONTHS[child]
    return [(child, _add_months(start, step * i)) for i in range(MONTHS[kind] // step)]


def previous(kind: str, start: date) -> date:
    return _add_months(start, -MONTHS[kind])


def label(kind: str, start: date) -> str:
    if kind == Kind.YEAR:
        return _("%(year)s") % {"year": start.year}
    if kind == Kind.QUARTER:
        return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month + 2) // 3}
    return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}


def elapsed_share(kind: str, start: date, today: date) -> Decimal:
    """The share of the period's days gone by the end of `today` (0 before, 1 after)."""
    last = end(kind, start)
    if today < start:
        return Decimal(0)
    if today >= last:
        return Decimal(1)
    return Decimal((today - start).days + 1) / Decimal((last - start).days + 1)


def parse(kind: str, text: str, today: date) -> date:
    """'2026', '2026-Q2' or '2026-04' (as the period's kind); anything else: today's period."""
    text = (text or "").strip().upper()
    try:
        if kind == Kind.YEAR:
            return date(int(text[:4]), 1, 1)
        if kind == Kind.QUARTER:
            year, quarter = text.split("-Q")
            return date(int(year), (int(quarter) - 1) * 3 + 1, 1)
        year, month = text.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, IndexError):
        return start_of(kind, today)


def key(kind: str, start: date) -> str:
    """The inverse of parse: what goes in a URL."""
    if kind == Kind.YEAR:
        return f"{start.year}"
    if kind == Kind.QUARTER:
        return f"{start.year}-Q{(start.month + 2) // 3}"
    return f"{start.year}-{start.month:02d}"
