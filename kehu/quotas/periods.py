"""The periods quotas are counted over: months, quarters, years, or each use on its own.

Pure functions on dates. A use belongs to the period holding its day *in the company's time
zone* (settings.TIME_ZONE, Asia/Shanghai): at 2026-03-31 23:30 in Shanghai (15:30 UTC) it is
March's, at 2026-04-01 00:10 in Shanghai (still 2026-03-31 16:10 UTC) it is April's and the
second quarter's — whatever zone the person logging it is in or the server runs in.

Nothing resets an allowance: each use is stored with the first day of its period
(`period_start`), "used" is the sum over the current period_start, and so a new period starts
from nothing by itself. No nightly reset job, nothing to miss when the server was down.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR, NONE = "month", "quarter", "year", "none"


def company_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def company_date(value: date | datetime | None = None) -> date:
    """The company's calendar day of a moment (now when None); a plain date is taken as one
    already. A naive datetime is read as company time."""
    zone = company_zone()
    if value is None:
        return datetime.now(zone).date()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(zone).date()
    return value


def period_start(day: date, period: str) -> date:
    """The first day of the period holding `day` (the day itself for a per-use period)."""
    if period == MONTH:
        return day.replace(day=1)
    if period == QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == YEAR:
        return date(day.year, 1, 1)
    if period == NONE:
        return day
    raise ValueError(f"unknown period {period!r}")


def next_start(day: date, period: str) -> date:
    """The first day of the period after the one holding `day`."""
    start = period_start(day, period)
    if period == NONE:
        return start + timedelta(days=1)
    months = {MONTH: 1, QUARTER: 3, YEAR: 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_end(day: date, period: str) -> date:
    """The last day (inclusive) of the period holding `day`."""
    return next_start(day, period) - timedelta(days=1)


def starts_between(first: date, last: date, period: str) -> list[date]:
    """The starts of the periods overlapping the days first…last (inclusive)."""
    if last < first:
        return []
    out, start = [], period_start(first, period)
    while start <= last:
        out.append(start)
        start = next_start(start, period)
    return out


def label(start: date, period: str) -> str:
    """ "2026-03", "2026 Q2", "2026", or the day for a per-use period."""
    if period == MONTH:
        return f"{start:%Y-%m}"
    if period == QUARTER:
        return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month + 2) // 3}
    if period == YEAR:
        return str(start.year)
    return f"{start:%Y-%m-%d}"
