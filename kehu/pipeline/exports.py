"""The deal list as a sheet: every deal the list's filters select, from the same access-scoped
query and in the same order, streamed in chunks."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import verbose

from .models import Deal, Stage

CHUNK = 2000


def columns() -> list[export.Column]:
    return [
        export.Column(_("deal number"), export.INTEGER),
        *customer_columns(),
        export.Column(verbose(Deal, "title"), width=28),
        export.Column(verbose(Deal, "amount"), export.MONEY),
        export.Column(verbose(Deal, "expected_close"), export.DATE),
        export.Column(
            verbose(Deal, "stage"), choices=tuple(Stage.objects.values_list("name", flat=True))
        ),
        export.Column(verbose(Deal, "probability"), export.INTEGER),
        export.Column(verbose(Deal, "owner")),
        export.Column(verbose(Deal, "channel")),
        export.Column(verbose(Deal, "products"), width=24),
        export.Column(verbose(Deal, "competitor")),
        export.Column(verbose(Deal, "lost_reason"), width=30),
        export.Column(verbose(Deal, "created_at"), export.DATETIME),
        export.Column(verbose(Deal, "updated_at"), export.DATETIME),
    ]


def rows(queryset) -> Iterator[list]:
    """`queryset` is the list's (queries.deals, filtered and ordered), already scoped."""
    deals = queryset.select_related("channel").only(
        "customer_id",
        "stage_id",
        "owner_id",
        "channel_id",
        "customer__name",
        "stage__name",
        "owner__name",
        "owner__username",
        "channel__name",
        "title",
        "amount",
        "expected_close",
        "probability",
        "products",
        "competitor",
        "lost_reason",
        "created_at",
        "updated_at",
    )
    for d in deals.iterator(chunk_size=CHUNK):
        yield [
            d.pk,
            d.customer_id,
            d.customer.name,
            d.title,
            d.amount,
            d.expected_close,
            d.stage.name,
            d.probability,
            str(d.owner) if d.owner else "",
            d.channel.name if d.channel else "",
            d.products,
            d.competitor,
            d.lost_reason,
            d.created_at,
            d.updated_at,
        ]
