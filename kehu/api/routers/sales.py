"""Orders: the purchase records sheet's query (sales.queries.order_list) and
sales.services.create_order (or order_from_deal for a won deal), which keep the customer's
purchase totals."""

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.pipeline.models import Deal
from kehu.sales import queries, services
from kehu.sales.models import Order

from ..common import (
    Day,
    Id,
    Money,
    PageParams,
    Text,
    invalid,
    page,
    page_of,
    pick,
    responses,
    visible_or_404,
)
from .customers import UserRef

router = Router(tags=["orders"])


class LineOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class OrderOut(Schema):
    id: int
    customer_id: int
    number: str
    order_date: date
    owner: UserRef | None
    team_id: int | None
    deal_id: int | None
    amount: Decimal
    cost: Decimal
    margin: Decimal
    collection: str
    collected_amount: Decimal
    collected_on: date | None
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int


class OrderDetail(OrderOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())


class OrderFilters(Schema):
    customer: Id | None = None
    owner: Id | None = None
    collection: Text | None = Field(None, description="unpaid, partial or paid")
    since: Day | None = Field(None, description="ordered on or after")
    until: Day | None = Field(None, description="ordered on or before")


class LineIn(Schema):
    product: Id | None = None
    description: Text = ""
    quantity: Decimal = Field(Decimal(1), gt=0, le=99_999_999, decimal_places=2)
    unit_price: Money | None = Field(None, description="the product's list price if left out")


class OrderIn(Schema):
    customer: Id
    order_date: Day | None = Field(None, description="required unless the order is a deal's")
    number: Text = ""
    owner: Id | None = Field(None, description="credited to; the customer's owner if left out")
    collected_amount: Money | None = None
    collected_on: Day | None = None
    notes: Text = ""
    deal: Id | None = Field(None, description="a won deal of the customer this order closes")
    lines: list[LineIn] = Field(None, max_length=200)


@router.get("/orders", response=responses(page_of(OrderOut)), summary="Orders")
def list_orders(request, filters: Query[OrderFilters], paging: Query[PageParams]):
    """Orders of the customers the caller may see, newest first."""
    params = {k: v for k, v in filters.model_dump().items() if v}
    return page(queries.order_list(request.auth, params), paging)


@router.get("/orders/{order_id}", response=responses(OrderDetail), summary="An order")
def get_order(request, order_id: Id):
    return visible_or_404(request.auth, Order, order_id, "owner")


@router.post("/orders", response=responses(OrderDetail, 201), summary="Create an order")
def create_order(request, payload: OrderIn):
    actor = request.auth
    customer = access.get_customer(actor, payload.customer)
    data = payload.model_dump(exclude={"customer", "lines", "deal"}, exclude_unset=True)
    if payload.owner is not None:
        data["owner"] = pick(User.objects.filter(is_active=True), payload.owner, "owner")
    lines = [line.model_dump() for line in payload.lines or []]
    if payload.deal is not None:
        deal = pick(
            access.visible(actor, Deal).select_related("stage", "customer"), payload.deal, "deal"
        )
        if deal.customer_id != customer.pk:
            raise invalid("deal", _("Choose one of this customer's deals."))
        order = services.order_from_deal(actor, deal, data, lines or None)
    else:
        order = services.create_order(actor, customer, data, lines)
    return Status(201, visible_or_404(actor, Order, order.pk, "owner"))
