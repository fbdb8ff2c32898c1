"""The iCal feed: each open follow-up as an all-day event, so Outlook, Apple Calendar and
phone calendars show a person's plan next to their meetings."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event


def calendar_for(user, followups, request) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Kehu//Follow-ups//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Kehu · {user}")
    cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    for f in followups:
        event = Event()
        event.add("uid", f"followup-{f.pk}@kehu")
        event.add("dtstamp", stamp)
        event.add("dtstart", f.due_on)
        event.add("dtend", f.due_on + timedelta(days=1))
        event.add("summary", f"{f.customer.name} · {f.get_method_display()}")
        event.add("description", f.content)
        event.add(
            "url", request.build_absolute_uri(reverse("customers:detail", args=[f.customer_id]))
        )
        cal.add_component(event)
    return cal.to_ical()
