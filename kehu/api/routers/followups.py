"""The interaction log and planned follow-ups: reads from the actor's visible set, logging
through followups.services.log_interaction (which marks the planned follow-up done and plans
the next, as the page does)."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kehu.accounts import access
from kehu.customers.models import Contact
from kehu.followups import services
from kehu.followups.models import FollowUp, Interaction
from kehu.pipeline.models import Deal

from ..common import (
    Day,
    Id,
    Moment,
    PageParams,
    Text,
    page,
    page_of,
    pick,
    responses,
    visible_or_404,
)
from .customers import UserRef

router = Router(tags=["follow-ups"])


class InteractionOut(Schema):
    id: int
    customer_id: int
    contact_id: int | None
    user: UserRef | None = Field(description="who logged it")
    at: datetime
    method: str
    content: str
    feedback: str
    next_step: str
    next_on: date | None
    deal_id: int | None
    created_at: datetime


class InteractionFilters(Schema):
    customer: Id | None = None
    owner: Id | None = Field(None, description="who logged it")
    method: Text | None = None
    since: Day | None = Field(None, description="on or after this day")
    until: Day | None = Field(None, description="on or before this day")


class InteractionIn(Schema):
    customer: Id
    method: Text = Field(description="phone, wechat, email, meeting, visit, video, sms, other")
    content: Text
    at: Moment | None = Field(None, description="when; now if left out")
    contact: Id | None = None
    feedback: Text = ""
    next_step: Text = ""
    next_on: Day | None = Field(None, description="plan the next follow-up on this day")
    followup: Id | None = Field(None, description="the planned follow-up this completes")
    deal: Id | None = None


class FollowUpOut(Schema):
    id: int
    customer_id: int
    owner: UserRef | None
    due_on: date
    method: str
    content: str
    status: str
    result: str
    origin: str
    overdue: bool
    created_at: datetime
    done_at: datetime | None

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue


class FollowUpFilters(Schema):
    customer: Id | None = None
    owner: Id | None = None
    status: Text | None = Field(None, description="todo, doing, done, cancelled or overdue")
    due_from: Day | None = None
    due_to: Day | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


@router.get("/interactions", response=responses(page_of(InteractionOut)), summary="Interactions")
def list_interactions(request, filters: Query[InteractionFilters], paging: Query[PageParams]):
    """Interactions with the customers the caller may see, newest first."""
    qs = access.visible_in_key_order(request.auth, Interaction).select_related("user")
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.owner:
        qs = qs.filter(user_id=filters.owner)
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.since:
        qs = qs.filter(at__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_start_of(filters.until + timedelta(days=1)))
    return page(qs, paging)


@router.get(
    "/interactions/{interaction_id}", response=responses(InteractionOut), summary="An interaction"
)
def get_interaction(request, interaction_id: Id):
    return visible_or_404(request.auth, Interaction, interaction_id, "user")


@router.post("/interactions", response=responses(InteractionOut, 201), summary="Log an interaction")
def log_interaction(request, payload: InteractionIn):
    actor = request.auth
    customer = access.get_customer(actor, payload.customer)
    interaction = services.log_interaction(
        actor,
        customer,
        method=payload.method,
        content=payload.content,
        at=payload.at,
        contact=pick(access.visible(actor, Contact), payload.contact, "contact"),
        feedback=payload.feedback,
        next_step=payload.next_step,
        next_on=payload.next_on,
        followup=pick(access.visible(actor, FollowUp), payload.followup, "followup"),
        deal=pick(access.visible(actor, Deal), payload.deal, "deal"),
    )
    return Status(201, visible_or_404(actor, Interaction, interaction.pk, "user"))


@router.get("/followups", response=responses(page_of(FollowUpOut)), summary="Planned follow-ups")
def list_followups(request, filters: Query[FollowUpFilters], paging: Query[PageParams]):
    """Planned follow-ups on the customers the caller may see, newest first."""
    qs = access.visible_in_key_order(request.auth, FollowUp).select_related("owner")
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.status == "overdue":
        qs = qs.filter(status__in=FollowUp.OPEN, due_on__lt=timezone.localdate())
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.due_from:
        qs = qs.filter(due_on__gte=filters.due_from)
    if filters.due_to:
        qs = qs.filter(due_on__lte=filters.due_to)
    return page(qs, paging)


@router.get(
    "/followups/{followup_id}", response=responses(FollowUpOut), summary="A planned follow-up"
)
def get_followup(request, followup_id: Id):
    return visible_or_404(request.auth, FollowUp, followup_id, "owner")
