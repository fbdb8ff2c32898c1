"""Deals: reads from the actor's visible deals, creating and moving through
pipeline.services (the stage history, probabilities and milestones follow as in the board)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.customers.models import Channel
from kehu.pipeline import services
from kehu.pipeline.models import Deal, Stage

from ..common import (
    Day,
    Id,
    Money,
    PageParams,
    Text,
    page,
    page_of,
    pick,
    responses,
    visible_or_404,
)
from .customers import UserRef

router = Router(tags=["deals"])


class DealOut(Schema):
    id: int
    customer_id: int
    title: str
    amount: Decimal
    expected_close: date | None
    stage_id: int
    probability: int
    owner: UserRef | None
    team_id: int | None
    channel_id: int | None
    products: str
    competitor: str
    lost_reason: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int


class DealFilters(Schema):
    customer: Id | None = None
    stage: Id | None = None
    owner: Id | None = None


class DealIn(Schema):
    customer: Id
    title: Text
    amount: Money = Decimal("0")
    expected_close: Day | None = None
    stage: Id | None = Field(None, description="the first open stage if left out")
    probability: int | None = Field(None, ge=0, le=100, description="the stage's if left out")
    owner: Id | None = Field(None, description="the customer's owner if left out")
    channel: Id | None = None
    products: Text = ""
    competitor: Text = ""
    lost_reason: Text = Field("", description="required when the stage is the lost one")


class StageMove(Schema):
    stage: Id
    lost_reason: Text = Field("", description="required when moving to the lost stage")


@router.get("/deals", response=responses(page_of(DealOut)), summary="Deals")
def list_deals(request, filters: Query[DealFilters], paging: Query[PageParams]):
    """Deals on the customers the caller may see, newest first."""
    qs = access.visible_in_key_order(request.auth, Deal).select_related("owner")
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.stage:
        qs = qs.filter(stage_id=filters.stage)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    return page(qs, paging)


@router.get("/deals/{deal_id}", response=responses(DealOut), summary="A deal")
def get_deal(request, deal_id: Id):
    return visible_or_404(request.auth, Deal, deal_id, "owner")


@router.post("/deals", response=responses(DealOut, 201), summary="Create a deal")
def create_deal(request, payload: DealIn):
    actor = request.auth
    customer = access.get_customer(actor, payload.customer)
    data = payload.model_dump(exclude={"customer"})
    data["stage"] = pick(Stage.objects.filter(active=True), payload.stage, "stage")
    data["owner"] = pick(User.objects.filter(is_active=True), payload.owner, "owner")
    data["channel"] = pick(Channel.objects.all(), payload.channel, "channel")
    deal = services.create_deal(actor, customer, data)
    return Status(201, visible_or_404(actor, Deal, deal.pk, "owner"))


@router.post("/deals/{deal_id}/stage", response=responses(DealOut), summary="Move a deal")
def move_stage(request, deal_id: Id, payload: StageMove):
    """To another stage (recorded with time and actor); losing needs a reason."""
    actor = request.auth
    deal = visible_or_404(actor, Deal, deal_id)
    stage = pick(Stage.objects.all(), payload.stage, "stage")
    services.move_stage(actor, deal, stage, payload.lost_reason)
    return visible_or_404(actor, Deal, deal_id, "owner")
