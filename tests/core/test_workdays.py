"""Working-day arithmetic: weekends, public holidays and make-up workdays (调休)."""

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.core.models import CalendarDay, CalendarYear
from kehu.core.workdays import WorkCalendar, seed_year, work_calendar

# National Day 2026: 10-01 … 10-07 off, Sunday 09-20 and Saturday 10-10 worked
HOLIDAYS = frozenset(date(2026, 10, d) for d in range(1, 8))
WORKDAYS = frozenset({date(2026, 9, 20), date(2026, 10, 10)})
CAL = WorkCalendar(HOLIDAYS, WORKDAYS)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
extra_holidays = st.frozensets(days, max_size=30)
extra_workdays = st.frozensets(days.filter(lambda d: d.weekday() >= 5), max_size=10)


def test_national_day_week_and_its_make_up_days():
    assert not CAL.is_working_day(date(2026, 10, 5))  # a Monday off
    assert CAL.is_working_day(date(2026, 10, 10))  # a Saturday worked
    assert CAL.is_working_day(date(2026, 9, 20))  # a Sunday worked
    # 3 working days after Wednesday 30 Sep: Thu 8 Oct, Fri 9 Oct, Sat 10 Oct
    assert CAL.add(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert CAL.add(date(2026, 10, 1), 0) == date(2026, 10, 8)  # rolls forward to a working day
    assert CAL.between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 8, 9, 10, 12


@given(start=days, n=st.integers(0, 60), holidays=extra_holidays, workdays=extra_workdays)
@settings(max_examples=200, deadline=None)
def test_adding_working_days_never_lands_on_a_day_off(start, n, holidays, workdays):
    cal = WorkCalendar(holidays - workdays, workdays)
    due = cal.add(start, n)
    assert cal.is_working_day(due)
    assert due >= start
    assert cal.between(cal.on_or_after(start), due) == n  # exactly n working days later


@given(start=days, n=st.integers(0, 60), workdays=extra_workdays)
@settings(max_examples=100, deadline=None)
def test_make_up_workdays_count(start, n, workdays):
    plain = WorkCalendar()
    with_make_up = WorkCalendar(frozenset(), workdays)
    assert with_make_up.add(start, n) <= plain.add(start, n)


@given(
    starts=st.lists(days, min_size=1, max_size=20),
    n=st.integers(0, 40),
    holidays=extra_holidays,
    workdays=extra_workdays,
)
@settings(max_examples=50, deadline=None)
def test_the_vectorised_calendar_agrees_with_the_plain_one(starts, n, holidays, workdays):
    cal = WorkCalendar(holidays - workdays, workdays)
    many = cal.add_many(np.array(starts, dtype="datetime64[D]"), n)
    assert [d.item() for d in many] == [cal.add(s, n) for s in starts]
    ends = [s + timedelta(days=n) for s in starts]
    counted = cal.between_many(np.array(starts, dtype="datetime64[D]"), np.array(ends))
    assert counted.tolist() == [cal.between(s, e) for s, e in zip(starts, ends, strict=True)]


def test_years_are_seeded_from_the_public_calendar_once(db):
    assert seed_year(2026) > 10
    assert CalendarDay.objects.get(day=date(2026, 10, 1)).kind == "holiday"
    assert CalendarDay.objects.get(day=date(2026, 10, 10)).kind == "workday"  # 调休
    CalendarDay.objects.filter(day=date(2026, 10, 10)).delete()  # edited by hand
    assert seed_year(2026) == 0  # never re-seeded over the edit
    assert CalendarYear.objects.filter(year=2026).exists()


def test_the_stored_calendar_follows_edits(db):
    cal = work_calendar(date(2026, 11, 23))
    assert not cal.is_working_day(date(2026, 10, 1))
    saturday = date(2027, 2, 20)
    assert not cal.is_working_day(saturday)
    CalendarDay.objects.create(day=saturday, kind="workday", name="调休上班")
    assert work_calendar(date(2026, 11, 23)).is_working_day(saturday)


def test_director_adds_a_make_up_workday_on_the_page(people, login):
    client = login(people.director)
    client.post("/calendar-days/", {"year": "2027", "day": "2027-02-20", "kind": "workday"})
    assert CalendarDay.objects.get(day=date(2027, 2, 20)).source == "manual"
    assert work_calendar(date(2026, 11, 23)).is_working_day(date(2027, 2, 20))
    client.post("/calendar-days/", {"year": "2027", "day": "2027-02-22", "kind": "workday"})
    assert not CalendarDay.objects.filter(day=date(2027, 2, 22)).exists()  # a Monday: refused
    client.post("/calendar-days/", {"year": "2027", "day": "2027-02-20", "action": "remove"})
    assert not CalendarDay.objects.filter(day=date(2027, 2, 20)).exists()


def test_only_directors_and_admins_edit_the_calendar(people, login):
    for person in (people.rep, people.manager, people.viewer):
        assert login(person).get("/calendar-days/").status_code == 404
    assert login(people.admin).get("/calendar-days/?year=2026").status_code == 200
