"""Read side of follow-ups: My day, the calendar, a customer's interactions, the pool,
notifications. Every query starts from the actor's visible set."""

from calendar import monthrange
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from kehu.accounts import access
from kehu.core.paging import capped_count
from kehu.core.workdays import work_calendar

from .models import FollowUp, Interaction, Notification, PoolEvent

COUNT_CAP = 1000
SECTION_LIMIT = 50  # rows per section; the counts above say how many in all


def open_followups(actor, scope: str = "me"):
    """Open follow-ups the actor may see: their own, or (scope "team", for managers and
    directors) everyone's in the people they may see."""
    rows = access.visible(actor, FollowUp).filter(status__in=FollowUp.OPEN)
    if scope == "team" and (actor.is_manager or actor.sees_everything):
        rows = rows.filter(owner__in=access.visible_users(actor))
    else:
        rows = rows.filter(owner=actor)
    # only what the lists show: the customer row is wide (search text, pinyin, notes …)
    return rows.select_related("customer", "owner").only(
        "customer_id",
        "owner_id",
        "due_on",
        "method",
        "content",
        "status",
        "customer__name",
        "customer__tier",
        "owner__name",
        "owner__username",
    )


def my_day(actor, scope: str = "me", today: date | None = None) -> dict:
    """Overdue, today and upcoming (the next KEHU_UPCOMING_DAYS working days)."""
    today = today or timezone.localdate()
    horizon = work_calendar(today).add(today, settings.KEHU_UPCOMING_DAYS)
    rows = open_followups(actor, scope)
    # in the order of the (owner, status, due date) index, so a team's 100,000 rows due today
    # need not be sorted to show the first 50: by person, work in progress first, then by date
    order = ("owner_id", "status", "due_on", "pk")
    sections = {
        "overdue": rows.filter(due_on__lt=today).order_by(*order),
        "today": rows.filter(due_on=today).order_by(*order),
        "upcoming": rows.filter(due_on__gt=today, due_on__lte=horizon).order_by(*order),
    }
    # a team's overdue work can run to tens of thousands: count up to COUNT_CAP ("1,000+")
    counted = {name: capped_count(qs, COUNT_CAP) for name, qs in sections.items()}
    return {
        "today": today,
        "horizon": horizon,
        "counts": {name: n for name, (n, _capped) in counted.items()},
        "capped": {name: capped for name, (_n, capped) in counted.items()},
        "sections": {name: list(qs[:SECTION_LIMIT]) for name, qs in sections.items()},
        "limit": SECTION_LIMIT,
    }


def month(actor, year: int, month: int, scope: str = "me") -> dict:
    """The month as weeks of days, each with its open follow-ups (and whether it is a working
    day), for the calendar view."""
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    calendar = work_calendar(first)
    items: dict[date, list] = {}
    for f in (
        open_followups(actor, scope)
        .filter(due_on__gte=start, due_on__lte=end)
        .order_by("due_on", "pk")[:2000]
    ):
        items.setdefault(f.due_on, []).append(f)
    weeks, day = [], start
    while day <= end:
        weeks.append(
            [
                {
                    "day": day + timedelta(days=i),
                    "in_month": (day + timedelta(days=i)).month == month,
                    "working": calendar.is_working_day(day + timedelta(days=i)),
                    "items": items.get(day + timedelta(days=i), []),
                }
                for i in range(7)
            ]
        )
        day += timedelta(days=7)
    return {"first": first, "weeks": weeks}


def feed_items(user, days_back: int = 30, days_ahead: int = 180):
    """The user's open follow-ups for the iCal feed."""
    today = timezone.localdate()
    return (
        open_followups(user)
        .filter(
            due_on__gte=today - timedelta(days=days_back),
            due_on__lte=today + timedelta(days=days_ahead),
        )
        .order_by("due_on", "pk")[:2000]
    )


def interactions_of(actor, customer, limit: int = 50):
    customer = access.get_customer(actor, customer.pk)
    return (
        Interaction.objects.filter(customer=customer)
        .select_related("user", "contact", "deal")
        .order_by("-at", "-pk")[:limit]
    )


def open_followups_of(actor, customer):
    customer = access.get_customer(actor, customer.pk)
    return (
        FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN)
        .select_related("owner")
        .order_by("due_on", "pk")[:30]
    )


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user, limit: int = 100):
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]


def pool_events_of(actor, customer):
    customer = access.get_customer(actor, customer.pk)
    return PoolEvent.objects.filter(customer=customer).select_related("user", "by")


def timeline_entries(actor, customer, limit):
    return [
        {"kind": "interaction", "at": i.at, "interaction": i}
        for i in interactions_of(actor, customer, limit)
    ]


def interaction_log(actor, scope: str = "me", method: str = "", since=None, until=None):
    """The interaction log sheet (跟进记录表): newest first, the actor's own or (managers,
    directors) their people's, from the visible set."""
    rows = access.visible(actor, Interaction)
    if scope == "team" and (actor.is_manager or actor.sees_everything):
        rows = rows.filter(user__in=access.visible_users(actor))
    else:
        rows = rows.filter(user=actor)
    if method:
        rows = rows.filter(method=method)
    if since:
        rows = rows.filter(at__gte=_start_of(since))
    if until:
        rows = rows.filter(at__lt=_start_of(until + timedelta(days=1)))
    return rows.select_related("customer", "user", "contact").order_by("-at", "-pk")


def plan_sheet(actor, scope: str = "me", status: str = "", since=None, until=None):
    """The follow-up plan sheet (表2 客户跟进计划表): every planned follow-up with its status
    and result, by due date."""
    rows = access.visible(actor, FollowUp)
    if scope == "team" and (actor.is_manager or actor.sees_everything):
        rows = rows.filter(owner__in=access.visible_users(actor))
    else:
        rows = rows.filter(owner=actor)
    today = timezone.localdate()
    if status == "overdue":
        rows = rows.filter(status__in=FollowUp.OPEN, due_on__lt=today)
    elif status in FollowUp.Status.values:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(due_on__gte=since)
    if until:
        rows = rows.filter(due_on__lte=until)
    return rows.select_related("customer", "owner").order_by("due_on", "pk")


def _start_of(day):
    return timezone.make_aware(datetime(day.year, day.month, day.day))
