"""Periods and their boundaries: a use belongs to the month, quarter or year of its day in the
company's time zone (Asia/Shanghai), whoever logs it from wherever."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kehu.quotas import periods

SHANGHAI = ZoneInfo("Asia/Shanghai")
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
kinds = st.sampled_from(["month", "quarter", "year", "none"])


@given(days, kinds)
def test_a_day_lies_within_its_period(day, kind):
    start, end = periods.period_start(day, kind), periods.period_end(day, kind)
    assert start <= day <= end
    assert periods.period_start(start, kind) == start
    assert periods.period_start(end, kind) == start
    # the day after the period is the next one's first day
    assert periods.period_start(end + timedelta(days=1), kind) == end + timedelta(days=1)


@given(days, kinds)
def test_periods_have_their_length(day, kind):
    length = (periods.period_end(day, kind) - periods.period_start(day, kind)).days + 1
    assert length in {"month": {28, 29, 30, 31}, "quarter": {90, 91, 92}, "year": {365, 366}}.get(
        kind, {1}
    )


@given(days, days, st.sampled_from(["month", "quarter", "year"]))
def test_the_periods_of_a_range_are_consecutive_and_cover_it(a, b, kind):
    first, last = min(a, b), max(a, b)
    if (last - first).days > 3 * 366:
        last = first + timedelta(days=3 * 366)
    starts = periods.starts_between(first, last, kind)
    assert starts[0] == periods.period_start(first, kind)
    assert starts[-1] == periods.period_start(last, kind)
    for earlier, later in zip(starts, starts[1:], strict=False):
        assert periods.next_start(earlier, kind) == later


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2080, 1, 1)))
def test_the_company_day_is_the_shanghai_day_whatever_zone_is_active(moment):
    aware = moment.replace(tzinfo=UTC)
    expected = aware.astimezone(SHANGHAI).date()
    with timezone.override(ZoneInfo("America/Los_Angeles")):
        assert periods.company_date(aware) == expected
    assert periods.company_date(aware.astimezone(ZoneInfo("Europe/Berlin"))) == expected


@pytest.mark.parametrize(
    "utc, month, quarter",
    [
        # 23:30 in Shanghai on 31 March is still March and Q1
        (datetime(2026, 3, 31, 15, 30, tzinfo=UTC), date(2026, 3, 1), date(2026, 1, 1)),
        # 00:10 in Shanghai on 1 April (16:10 UTC the day before) is April and Q2
        (datetime(2026, 3, 31, 16, 10, tzinfo=UTC), date(2026, 4, 1), date(2026, 4, 1)),
        # New Year: 23:59 on 31 December in Shanghai, and 00:00 on 1 January
        (datetime(2026, 12, 31, 15, 59, tzinfo=UTC), date(2026, 12, 1), date(2026, 10, 1)),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1), date(2027, 1, 1)),
    ],
)
def test_the_period_of_a_moment_near_midnight_is_taken_in_shanghai(utc, month, quarter):
    for zone in ("UTC", "America/New_York", "Asia/Tokyo", "Asia/Shanghai"):
        with timezone.override(ZoneInfo(zone)):
            day = periods.company_date(utc.astimezone(ZoneInfo(zone)))
            assert periods.period_start(day, "month") == month
            assert periods.period_start(day, "quarter") == quarter


def test_a_period_is_labelled_as_people_say_it():
    assert periods.label(date(2026, 3, 1), "month") == "2026-03"
    assert "2026" in periods.label(date(2026, 4, 1), "quarter")
    assert "2" in periods.label(date(2026, 4, 1), "quarter")
    assert periods.label(date(2026, 1, 1), "year") == "2026"


def test_an_unknown_period_is_an_error():
    with pytest.raises(ValueError):
        periods.period_start(date(2026, 1, 1), "week")
