"""The morning reminder e-mail: each person's overdue and today's follow-ups, in their own
language (console backend by default: KEHU_EMAIL_BACKEND)."""

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User

from .models import FollowUp
from .queries import my_day


def send_all(today=None) -> int:
    """One e-mail per active person with an address and something overdue or due today."""
    today = today or timezone.localdate()
    due = (
        FollowUp.objects.filter(status__in=FollowUp.OPEN, due_on__lte=today)
        .values("owner_id")
        .annotate(overdue=Count("pk", filter=Q(due_on__lt=today)), today=Count("pk"))
        .order_by()
    )
    owners = {row["owner_id"] for row in due if row["owner_id"]}
    people = User.objects.filter(pk__in=owners, is_active=True).exclude(email="")
    sent = 0
    with get_connection() as connection:
        for person in people:
            with translation.override(person.language or settings.LANGUAGE_CODE):
                day = my_day(person, today=today)
                subject = _("Kehu · %(overdue)s overdue, %(today)s due today") % {
                    "overdue": day["counts"]["overdue"],
                    "today": day["counts"]["today"],
                }
                body = render_to_string("followups/digest.txt", {**day, "person": person})
            sent += send_mail(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [person.email],
                connection=connection,
            )
    return sent
