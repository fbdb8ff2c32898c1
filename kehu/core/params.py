"""A page's GET parameters as values: what cannot be read (a mistyped or impossible date in a
bookmarked URL, ?since=2026-02-30) is no filter, never an error page."""

from datetime import date

from django.utils.dateparse import parse_date


def date_param(request, key: str) -> date | None:
    try:
        return parse_date(request.GET.get(key) or "")
    except ValueError:  # well formed but not a day
        return None
