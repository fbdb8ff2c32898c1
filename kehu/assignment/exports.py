"""The unassigned leads (未分配线索) as a sheet: every waiting lead the actor manages, read from
the same query the page shows, streamed in chunks so that memory stays flat whatever the count."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.followups.exports import customer_columns
from kehu.sheets import export

from .services import why_unassigned

CHUNK = 2000


def unassigned_columns() -> list[export.Column]:
    """The page's columns, the customer number first as in every customer sheet."""
    return [
        *customer_columns(),
        export.Column(_("tier"), choices=tuple(Customer.TIERS)),
        export.Column(_("team")),
        export.Column(_("waiting since"), export.DATETIME),
        export.Column(_("why"), width=40),
        export.Column(_("manager told"), export.DATETIME),
    ]


def unassigned_rows(queryset) -> Iterator[list]:
    """`queryset` is the page's (services.unassigned_list), already scoped and ordered."""
    for lead in queryset.iterator(chunk_size=CHUNK):
        yield [
            lead.pk,
            lead.name,
            lead.tier,
            lead.team.name if lead.team else "",
            lead.created_at,
            why_unassigned(lead),
            lead.told_at,
        ]
