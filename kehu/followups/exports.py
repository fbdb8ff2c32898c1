"""The interaction log (跟进记录), the follow-up plan (表2 客户跟进计划表) and the public pool
(公海) as sheets: every row the page's filters select, read from the same access-scoped queries
the pages show, and streamed in chunks so that memory stays flat whatever the count."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.sheets import export
from kehu.sheets.downloads import labels, verbose

from .models import FollowUp, Interaction, Method

CHUNK = 2000


def customer_columns() -> list[export.Column]:
    """客户编号 and 客户名称, first as in the seed sheets; the number lets a sheet be matched
    back to Kehu's customers."""
    return [
        export.Column(_("customer number"), export.INTEGER),
        export.Column(verbose(Customer, "name"), width=28),
    ]


def interaction_columns() -> list[export.Column]:
    return [
        *customer_columns(),
        export.Column(verbose(Interaction, "contact")),
        export.Column(verbose(Interaction, "user")),
        export.Column(verbose(Interaction, "at"), export.DATETIME),
        export.Column(verbose(Interaction, "method"), choices=labels(Method.choices)),
        export.Column(verbose(Interaction, "content"), width=40),
        export.Column(verbose(Interaction, "feedback"), width=30),
        export.Column(verbose(Interaction, "next_step"), width=30),
        export.Column(verbose(Interaction, "next_on"), export.DATE),
        export.Column(verbose(Interaction, "deal"), width=20),
    ]


def interaction_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's (queries.interaction_log), already scoped and ordered."""
    methods = dict(Method.choices)
    rows = queryset.select_related("deal").only(
        "customer_id",
        "contact_id",
        "user_id",
        "deal_id",
        "customer__name",
        "contact__name",
        "user__name",
        "user__username",
        "at",
        "method",
        "content",
        "feedback",
        "next_step",
        "next_on",
        "deal__title",
    )
    for i in rows.iterator(chunk_size=CHUNK):
        yield [
            i.customer_id,
            i.customer.name,
            i.contact.name if i.contact else "",
            str(i.user) if i.user else "",
            i.at,
            str(methods.get(i.method, i.method)),
            i.content,
            i.feedback,
            i.next_step,
            i.next_on,
            i.deal.title if i.deal else "",
        ]


def plan_columns() -> list[export.Column]:
    return [
        *customer_columns(),
        export.Column(verbose(FollowUp, "owner")),
        export.Column(verbose(FollowUp, "due_on"), export.DATE),
        export.Column(verbose(FollowUp, "method"), choices=labels(Method.choices)),
        export.Column(verbose(FollowUp, "content"), width=40),
        export.Column(verbose(FollowUp, "status"), choices=labels(FollowUp.Status.choices)),
        export.Column(verbose(FollowUp, "result"), width=30),
        export.Column(verbose(FollowUp, "origin")),
    ]


def plan_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's (queries.plan_sheet), already scoped and ordered."""
    methods = dict(Method.choices)
    statuses = dict(FollowUp.Status.choices)
    origins = dict(FollowUp.Origin.choices)
    rows = queryset.only(
        "customer_id",
        "owner_id",
        "customer__name",
        "owner__name",
        "owner__username",
        "due_on",
        "method",
        "content",
        "status",
        "result",
        "origin",
    )
    for f in rows.iterator(chunk_size=CHUNK):
        yield [
            f.customer_id,
            f.customer.name,
            str(f.owner) if f.owner else "",
            f.due_on,
            str(methods.get(f.method, f.method)),
            f.content,
            str(statuses.get(f.status, f.status)),
            f.result,
            str(origins.get(f.origin, f.origin)),
        ]


def pool_columns() -> list[export.Column]:
    """The pool page's columns, its region split into province and city as in the customer
    list's sheet."""
    return [
        *customer_columns(),
        export.Column(verbose(Customer, "tier"), choices=tuple(Customer.TIERS)),
        export.Column(verbose(Customer, "industry")),
        export.Column(verbose(Customer, "province")),
        export.Column(verbose(Customer, "city")),
        export.Column(verbose(Customer, "last_contact_at"), export.DATETIME),
        export.Column(verbose(Customer, "pooled_at"), export.DATETIME),
    ]


def pool_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's (pool.pool_customers, filtered and ordered)."""
    rows = queryset.select_related("industry").only(
        "name",
        "tier",
        "industry__name",
        "province",
        "city",
        "last_contact_at",
        "pooled_at",
    )
    for c in rows.iterator(chunk_size=CHUNK):
        yield [
            c.pk,
            c.name,
            c.tier,
            c.industry.name if c.industry else "",
            c.province,
            c.city,
            c.last_contact_at,
            c.pooled_at,
        ]
