"""Customers and their contacts: lists from customers.queries.filter_customers (the list
page's filters), writes through customers.services."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from ninja import Field, Query, Router, Schema, Status

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.customers import queries, services
from kehu.customers.models import Channel, Contact, Industry, Tag

from ..common import (
    Day,
    Id,
    Moment,
    Money,
    PageParams,
    Text,
    given,
    page,
    page_of,
    pick,
    responses,
    visible_or_404,
)
from .reference import TagOut

router = Router(tags=["customers"])
contacts = Router(tags=["contacts"])


class UserRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj):
        return str(obj)


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    tier: str
    score: Decimal | None
    industry_id: int | None
    channel_id: int | None
    province: str
    city: str
    size: str
    address: str
    owner: UserRef | None
    team_id: int | None
    core_needs: str
    product_preferences: str
    annual_budget: Decimal | None
    cooperation_amount: Decimal
    purchase_total: Decimal
    purchase_count: int
    first_purchase_on: Day | None
    last_purchase_on: Day | None
    last_contact_at: datetime | None
    next_followup_at: datetime | None
    satisfaction: int | None
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="send it back with a change: a stale version is a 409")


class CustomerDetail(CustomerOut):
    tags: list[TagOut]

    @staticmethod
    def resolve_tags(obj):
        return list(obj.tags.all())


class CustomerFilters(Schema):
    q: Text | None = Field(None, max_length=100, description="name, pinyin initials or phone")
    tier: Text | None = None
    status: Text | None = None
    owner: Id | None = None
    team: Id | None = Field(None, description="the team and its subtree")
    tag: Id | None = None
    updated_since: Moment | None = None


class CustomerFields(Schema):
    kind: Text = None
    industry: Id | None = None
    province: Text = None
    city: Text = None
    size: Text = None
    address: Text = None
    channel: Id | None = None
    status: Text = None
    tier: Text = Field(None, description="directors only: tiers change through review")
    score: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    owner: Id | None = None
    core_needs: Text = None
    product_preferences: Text = None
    annual_budget: Money | None = None
    satisfaction: int | None = Field(None, ge=1, le=5)
    notes: Text = None
    tags: list[Id] = Field(None, max_length=50)


class CustomerIn(CustomerFields):
    name: Text


class CustomerPatch(CustomerFields):
    name: Text = None
    version: int = Field(ge=1, le=2**31, description="the version the change starts from")


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    phone: str
    phone2: str
    email: str
    wechat: str
    is_primary: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class ContactIn(Schema):
    name: Text
    title: Text = ""
    phone: Text = ""
    phone2: Text = ""
    email: Text = ""
    wechat: Text = ""
    is_primary: bool = False
    notes: Text = ""


class ContactFilters(Schema):
    customer: Id | None = None


LIST_RELATED = ("owner",)


def _model_data(data: dict) -> tuple[dict, list | None]:
    """Request fields → the services' data: ids become the objects they name."""
    tags = data.pop("tags", None)
    for key, model in (("industry", Industry), ("channel", Channel), ("owner", User)):
        if data.get(key) is not None:
            data[key] = pick(model.objects.all(), data[key], key)
    if tags is not None:
        found = list(Tag.objects.filter(pk__in=tags))
        if len(found) != len(set(tags)):
            pick(Tag.objects.none(), tags[0], "tags")  # raises the 422
        tags = found
    return data, tags


@router.get("", response=responses(page_of(CustomerOut)), summary="List customers")
def list_customers(request, filters: Query[CustomerFilters], paging: Query[PageParams]):
    """The customers the caller may see, most recently changed first."""
    actor = request.auth
    params = {"q": filters.q, "owner": filters.owner, "tag": filters.tag}
    if filters.tier:
        params["tier"] = [filters.tier]
    if filters.status:
        params["status"] = [filters.status]
    if filters.team:
        params["team"] = pick(access.visible_teams(actor), filters.team, "team")
    qs = queries.filter_customers(actor, {k: v for k, v in params.items() if v})
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return page(qs.select_related(*LIST_RELATED), paging, "updated_at")


@router.get("/{customer_id}", response=responses(CustomerDetail), summary="A customer")
def get_customer(request, customer_id: Id):
    return access.get_customer(request.auth, customer_id)


@router.post("", response=responses(CustomerDetail, 201), summary="Create a customer")
def create_customer(request, payload: CustomerIn):
    """Reps own what they create; tier and score are set by review, not here (directors may)."""
    data, tags = _model_data(given(payload))
    customer = services.create_customer(request.auth, data, tags=tags or ())
    return Status(201, access.get_customer(request.auth, customer.pk))


@router.patch("/{customer_id}", response=responses(CustomerDetail), summary="Change a customer")
def update_customer(request, customer_id: Id, payload: CustomerPatch):
    """Only the fields sent change. `version` must be the customer's current version, else
    409 (someone saved since) and nothing is written."""
    actor = request.auth
    customer = access.get_customer(actor, customer_id)
    data = given(payload)
    version = data.pop("version")
    data, tags = _model_data(data)
    with transaction.atomic():
        services.update_customer(actor, customer, data, version=version)
        if tags is not None:
            services.set_tags(actor, customer, tags)
    return access.get_customer(actor, customer_id)


@router.get(
    "/{customer_id}/contacts", response=responses(page_of(ContactOut)), summary="Its contacts"
)
def customer_contacts(request, customer_id: Id, paging: Query[PageParams]):
    customer = access.get_customer(request.auth, customer_id)
    return page(Contact.objects.filter(customer=customer), paging)


@router.post(
    "/{customer_id}/contacts", response=responses(ContactOut, 201), summary="Add a contact"
)
def add_contact(request, customer_id: Id, payload: ContactIn):
    customer = access.get_customer(request.auth, customer_id)
    return Status(201, services.add_contact(request.auth, customer, payload.model_dump()))


@contacts.get("", response=responses(page_of(ContactOut)), summary="List contacts")
def list_contacts(request, filters: Query[ContactFilters], paging: Query[PageParams]):
    """Contacts of the customers the caller may see, newest first."""
    qs = access.visible_in_key_order(request.auth, Contact)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    return page(qs, paging)


@contacts.get("/{contact_id}", response=responses(ContactOut), summary="A contact")
def get_contact(request, contact_id: Id):
    return visible_or_404(request.auth, Contact, contact_id)
