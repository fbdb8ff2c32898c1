"""A page's parameters as values. In a URL (a bookmarked or hand-edited filter, ?since=2026-02-30)
what cannot be read is no filter, never an error page; in a posted form it is refused with a
message, never a 500."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _


def date_param(request, key: str) -> date | None:
    try:
        return parse_date(request.GET.get(key) or "")
    except ValueError:  # well formed but not a day
        return None


def posted_date(request, key: str) -> date | None:
    """A date field of a posted form (YYYY-MM-DD, as a date input sends it): None when blank."""
    value = (request.POST.get(key) or "").strip()
    try:
        day = parse_date(value)
    except ValueError:  # well formed but not a day
        day = None
    if value and day is None:
        raise ValidationError(
            _("“%(value)s” is not a date (for example 2023-10-15 or 2023年10月15日).")
            % {"value": value}
        )
    return day
