"""Working days: Monday to Friday, minus public holidays, plus make-up workdays (调休).

`WorkCalendar` is pure (two sets of dates) so the arithmetic is testable on plain data; it also
answers for whole arrays at once (NumPy's business-day functions with every non-working day
listed), which is how bulk planning computes a million due dates. `work_calendar()` loads the
calendar from the database (seeding missing years from the `holidays` package) and caches it
until someone edits a day.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np

FIRST_YEAR, LAST_YEAR = 2000, 2099  # the vectorised calendar's range


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset = field(default_factory=frozenset)  # days off (weekdays or not)
    workdays: frozenset = field(default_factory=frozenset)  # weekend days that are worked

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, n: int) -> date:
        """`n` working days after `day` (a non-working `day` first rolls forward to the next
        working day; n = 0 is that day)."""
        day = self.on_or_after(day)
        step = 1 if n >= 0 else -1
        for _ in range(abs(n)):
            day += timedelta(days=step)
            while not self.is_working_day(day):
                day += timedelta(days=step)
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    @cached_property
    def busdaycal(self) -> np.busdaycalendar:
        """Every non-working day from 2000 to 2099 as a NumPy calendar (all weekdays in the
        mask, the weekends listed as holidays unless worked)."""
        days = np.arange(f"{FIRST_YEAR}-01-01", f"{LAST_YEAR + 1}-01-01", dtype="datetime64[D]")
        weekend = np.is_busday(days, weekmask="0000011")
        off = set(days[weekend].astype(object)) - set(self.workdays)
        off |= set(self.holidays)
        return np.busdaycalendar(
            weekmask="1111111", holidays=np.array(sorted(off), dtype="datetime64[D]")
        )

    def add_many(self, days: np.ndarray, n) -> np.ndarray:
        """`add` for an array of datetime64[D] days (and `n` a number or an array)."""
        return np.busday_offset(days, n, roll="forward", busdaycal=self.busdaycal)

    def between_many(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """`between` for arrays."""
        start = np.asarray(start, dtype="datetime64[D]") + 1
        end = np.asarray(end, dtype="datetime64[D]") + 1
        return np.maximum(np.busday_count(start, end, busdaycal=self.busdaycal), 0)


# --- the stored calendar -----------------------------------------------------------------------
_cache: dict = {}


def seed_year(year: int) -> int:
    """Public holidays and make-up workdays of `year` from the `holidays` package, unless the
    year was seeded before (hand edits are never overwritten). Returns the days added."""
    import holidays

    from .models import CalendarDay, CalendarYear

    if CalendarYear.objects.filter(year=year).exists():
        return 0
    cn = holidays.China(years=year, language="zh_CN")
    rows = [(d, CalendarDay.Kind.HOLIDAY, name) for d, name in cn.items() if d.year == year]
    rows += [
        (d, CalendarDay.Kind.WORKDAY, "调休上班")
        for d in sorted(cn.weekend_workdays)
        if d.year == year
    ]
    taken = set(CalendarDay.objects.filter(day__year=year).values_list("day", flat=True))
    made = CalendarDay.objects.bulk_create(
        CalendarDay(day=d, kind=kind, name=name[:80], source=CalendarDay.Source.SEEDED)
        for d, kind, name in rows
        if d not in taken
    )
    CalendarYear.objects.get_or_create(year=year)
    return len(made)


def work_calendar(today: date | None = None) -> WorkCalendar:
    """The calendar from the database: seeds last year to two years ahead when missing, and
    rebuilds the in-process copy only when a day has changed (one small query per call)."""
    from django.db.models import Count, Max
    from django.utils import timezone

    from .models import CalendarDay, CalendarYear

    today = today or timezone.localdate()
    wanted = set(range(today.year - 1, today.year + 3))
    seeded = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    for year in sorted(wanted - seeded):
        seed_year(year)
    key = tuple(CalendarDay.objects.aggregate(n=Count("pk"), at=Max("changed_at")).values())
    if _cache.get("key") != key:
        rows = list(CalendarDay.objects.values_list("day", "kind"))
        _cache["calendar"] = WorkCalendar(
            holidays=frozenset(d for d, k in rows if k == CalendarDay.Kind.HOLIDAY),
            workdays=frozenset(d for d, k in rows if k == CalendarDay.Kind.WORKDAY),
        )
        _cache["key"] = key
    return _cache["calendar"]
