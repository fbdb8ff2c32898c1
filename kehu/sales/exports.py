"""The purchase records, the complaint log, the product list, the churn warnings and the
lifecycle report as sheets: every row the page's filters select, from the same access-scoped
queries and services the pages show, streamed in chunks."""

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.customers.models import Customer
from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import labels, verbose

from . import churn, lifecycle, winback
from .models import Feedback, Order, Product

CHUNK = 2000
CENT = Decimal("0.01")


def columns() -> list[export.Column]:
    return [
        export.Column(_("order number"), export.INTEGER),
        *customer_columns(),
        export.Column(verbose(Order, "number")),
        export.Column(verbose(Order, "order_date"), export.DATE),
        export.Column(_("products"), width=36),
        export.Column(verbose(Order, "amount"), export.MONEY),
        export.Column(verbose(Order, "margin"), export.MONEY),
        export.Column(verbose(Order, "owner")),
        export.Column(verbose(Order, "collection"), choices=labels(Order.Collection.choices)),
        export.Column(verbose(Order, "collected_amount"), export.MONEY),
        export.Column(verbose(Order, "collected_on"), export.DATE),
        export.Column(verbose(Order, "notes"), width=30),
    ]


def rows(queryset) -> Iterator[list]:
    collection = dict(Order.Collection.choices)
    qs = queryset.prefetch_related("lines__product")
    for start in range(0, 10**9, CHUNK):
        chunk = list(qs[start : start + CHUNK])
        for o in chunk:
            products = "、".join(
                f"{line.product or line.description} ×{line.quantity.normalize()}"
                for line in o.lines.all()
            )
            yield [
                o.pk,
                o.customer_id,
                o.customer.name,
                o.number,
                o.order_date,
                products,
                o.amount,
                o.margin,
                str(o.owner or ""),
                str(collection[o.collection]),
                o.collected_amount,
                o.collected_on,
                o.notes,
            ]
        if len(chunk) < CHUNK:
            return


def feedback_columns() -> list[export.Column]:
    return [
        export.Column(_("number"), export.INTEGER),
        *customer_columns(),
        export.Column(verbose(Feedback, "kind"), choices=labels(Feedback.Kind.choices)),
        export.Column(verbose(Feedback, "category"), choices=labels(Feedback.Category.choices)),
        export.Column(verbose(Feedback, "severity"), choices=labels(Feedback.Severity.choices)),
        export.Column(verbose(Feedback, "summary"), width=36),
        export.Column(verbose(Feedback, "owner")),
        export.Column(verbose(Feedback, "status"), choices=labels(Feedback.Status.choices)),
        export.Column(verbose(Feedback, "opened_at"), export.DATETIME),
        export.Column(verbose(Feedback, "resolved_at"), export.DATETIME),
        export.Column(_("days to resolve"), export.NUMBER),
        export.Column(verbose(Feedback, "resolution"), width=36),
    ]


def feedback_rows(queryset) -> Iterator[list]:
    for start in range(0, 10**9, CHUNK):
        chunk = list(queryset[start : start + CHUNK])
        for f in chunk:
            yield [
                f.pk,
                f.customer_id,
                f.customer.name,
                f.get_kind_display(),
                f.get_category_display(),
                f.get_severity_display(),
                f.summary,
                str(f.owner or ""),
                f.get_status_display(),
                f.opened_at,
                f.resolved_at,
                f.days_to_resolve,
                f.resolution,
            ]
        if len(chunk) < CHUNK:
            return


# --- products -------------------------------------------------------------------------------
def product_columns() -> list[export.Column]:
    yes_no = (_("Yes"), _("No"))
    return [
        export.Column(verbose(Product, "name"), width=24),
        export.Column(verbose(Product, "code")),
        export.Column(verbose(Product, "category")),
        export.Column(verbose(Product, "unit_price"), export.MONEY),
        export.Column(verbose(Product, "unit_cost"), export.MONEY),
        export.Column(_("orders"), export.INTEGER),
        export.Column(_("sold (CNY)"), export.MONEY),
        export.Column(verbose(Product, "active"), choices=yes_no),
    ]


def product_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's (queries.products_with_sales): one aggregated query."""
    yes, no = _("Yes"), _("No")
    for p in queryset:
        yield [
            p.name,
            p.code,
            p.category.name if p.category else "",
            p.unit_price,
            p.unit_cost,
            p.orders,
            p.sold if p.sold is None else p.sold.quantize(CENT),  # SQLite's sum drops the cents
            yes if p.active else no,
        ]


# --- churn warnings -------------------------------------------------------------------------
def warning_columns() -> list[export.Column]:
    return [
        *customer_columns(),
        export.Column(verbose(Customer, "tier"), choices=Customer.TIERS),
        export.Column(verbose(Customer, "owner")),
        export.Column(verbose(Customer, "purchase_total"), export.MONEY),
        export.Column(_("why"), width=60),
    ]


def warning_rows(warnings: Iterable[churn.Warning]) -> Iterator[list]:
    """`warnings` are the page's (churn.every_churn_warning), strongest first."""
    for w in warnings:
        c = w.customer
        yield [
            c.pk,
            c.name,
            c.tier,
            str(c.owner or ""),
            c.purchase_total,
            " ".join(str(text) for _key, text, _url in w.reasons),
        ]


def churned_columns() -> list[export.Column]:
    return [
        *customer_columns(),
        export.Column(verbose(Customer, "status"), choices=labels(Customer.Status.choices)),
        export.Column(verbose(Customer, "owner")),
        export.Column(verbose(Customer, "last_purchase_on"), export.DATE),
        export.Column(verbose(Customer, "purchase_total"), export.MONEY),
        export.Column(_("win-back planned"), choices=(_("Yes"),)),
    ]


def churned_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's win-back list (churn.churned_customers), ordered; whether a
    win-back is planned is read once a chunk."""
    yes = _("Yes")
    for start in range(0, 10**9, CHUNK):
        chunk = list(queryset[start : start + CHUNK])
        planned = winback.planned_ids([c.pk for c in chunk]) if chunk else set()
        for c in chunk:
            yield [
                c.pk,
                c.name,
                c.get_status_display(),
                str(c.owner or ""),
                c.last_purchase_on,
                c.purchase_total,
                yes if c.pk in planned else "",
            ]
        if len(chunk) < CHUNK:
            return


# --- the lifecycle report -------------------------------------------------------------------
def figure_columns() -> list[export.Column]:
    return [
        export.Column(_("figure"), width=20),
        export.Column(pgettext("a figure's value", "value"), export.NUMBER),
        export.Column(_("unit"), width=8),
        export.Column(_("numerator"), export.INTEGER),
        export.Column(_("denominator"), export.INTEGER),
        export.Column(_("orders"), export.INTEGER),
        export.Column(_("definition"), width=70),
    ]


def figure_rows(
    figures: Iterable[lifecycle.Figure], scope: lifecycle.Scope, start: date, end: date
) -> list[list]:
    """The page's figure cards, one a row, then whose figures and for which period."""
    units = {"%": "%", "CNY": _("CNY"), "days": _("days")}
    rows = [
        [
            capfirst(str(f.label)),
            f.value,
            units.get(f.unit, f.unit),
            f.parts.get("part"),
            f.parts.get("whole"),
            f.parts.get("orders"),
            str(f.definition),
        ]
        for f in figures
    ]
    return [
        *rows,
        [_("scope"), None, "", None, None, None, scope.label],
        [_("period"), None, "", None, None, None, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"],
    ]


def satisfaction_columns(by: str) -> list[export.Column]:
    first = (
        export.Column(_("team"), width=16)
        if by == "team"
        else export.Column(_("tier"), choices=Customer.TIERS)
    )
    return [
        first,
        export.Column(_("average CSAT"), export.NUMBER),
        export.Column(_("CSAT answers"), export.INTEGER),
        export.Column(_("NPS"), export.NUMBER),
        export.Column(_("NPS answers"), export.INTEGER),
    ]


def satisfaction_rows(breakdown) -> list[list]:
    """`breakdown` is the page's (queries.satisfaction_breakdown); "—" (no team, no tier) is
    written as an empty cell."""
    return [[name if name != "—" else "", *rest] for name, *rest in breakdown]


def lifecycle_book(figures, scope, start, end, by_team, by_tier) -> list:
    """The report's three tables, one sheet each: the figures, then satisfaction by team and
    by tier."""
    return [
        (_("Customer lifecycle"), figure_columns(), figure_rows(figures, scope, start, end)),
        (_("Satisfaction by team"), satisfaction_columns("team"), satisfaction_rows(by_team)),
        (_("Satisfaction by tier"), satisfaction_columns("tier"), satisfaction_rows(by_tier)),
    ]
