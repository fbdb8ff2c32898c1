"""Win-back (挽回): a churned customer gets a plan of follow-ups on working days, owned by its
owner, through the follow-ups service (so they show on My day, the calendar and the feed)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.workdays import work_calendar
from kehu.followups.models import FollowUp, Method
from kehu.followups.services import plan_followup

# (working days from today, method, what to do)
STEPS = [
    (0, Method.PHONE, "Call to ask why the orders stopped and what changed."),
    (5, Method.VISIT, "Visit with an offer fitted to what they used to buy."),
    (15, Method.PHONE, "Follow up on the offer; record the answer."),
]


def step_texts() -> list[str]:
    return [
        _("Call to ask why the orders stopped and what changed."),
        _("Visit with an offer fitted to what they used to buy."),
        _("Follow up on the offer; record the answer."),
    ]


@transaction.atomic
def plan(actor, customer) -> list[FollowUp]:
    """Plans the win-back steps for the customer's owner (the actor when it has none);
    refused while an earlier win-back plan is still open."""
    if FollowUp.objects.filter(
        customer=customer, origin=FollowUp.Origin.WINBACK, status__in=FollowUp.OPEN
    ).exists():
        raise ValidationError(_("A win-back plan is already open for this customer."))
    calendar = work_calendar()
    today = timezone.localdate()
    start = calendar.on_or_after(today)
    owner = customer.owner or actor
    planned = []
    for (days, method, _text), content in zip(STEPS, step_texts(), strict=True):
        due = calendar.add(start, days) if days else start
        planned.append(
            plan_followup(
                actor,
                customer,
                due_on=due,
                method=method,
                content=content,
                owner=owner,
                origin=FollowUp.Origin.WINBACK,
            )
        )
    return planned


def planned_ids(customer_ids) -> set[int]:
    """Which of these customers have an open win-back plan."""
    return set(
        FollowUp.objects.filter(
            customer_id__in=customer_ids,
            origin=FollowUp.Origin.WINBACK,
            status__in=FollowUp.OPEN,
        ).values_list("customer_id", flat=True)
    )
