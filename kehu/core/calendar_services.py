"""Editing the working-day calendar (admins and directors): add or change a day off or a
make-up workday, or remove one so the day is a plain weekday/weekend again."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts import access

from .models import CalendarDay


def can_edit_calendar(actor) -> bool:
    return actor.sees_everything


@transaction.atomic
def set_day(actor, day: date, kind: str, name: str = "") -> CalendarDay:
    access.require(can_edit_calendar(actor), _("Only a director or admin edits the calendar."))
    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": [_("Choose a day off or a make-up workday.")]})
    if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
        raise ValidationError({"day": [_("A make-up workday falls on a Saturday or Sunday.")]})
    row, _created = CalendarDay.objects.update_or_create(
        day=day,
        defaults={
            "kind": kind,
            "name": name.strip()[:80],
            "source": CalendarDay.Source.MANUAL,
            "changed_by": actor,
        },
    )
    return row


@transaction.atomic
def remove_day(actor, day: date) -> int:
    access.require(can_edit_calendar(actor), _("Only a director or admin edits the calendar."))
    return CalendarDay.objects.filter(day=day).delete()[0]
