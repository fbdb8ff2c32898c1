"""The purchase records and the complaint log as sheets: every row the page's filters select,
from the same access-scoped queries, streamed in chunks."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import labels, verbose

from .models import Feedback, Order

CHUNK = 2000


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
