"""The usage report as a sheet: every row its filters select, from the same access-scoped
query as the page."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import verbose

from .models import Quota, QuotaUsage


def columns() -> list[export.Column]:
    return [
        *customer_columns(),
        export.Column(_("tier")),
        export.Column(_("team")),
        export.Column(_("owner")),
        export.Column(verbose(Quota, "name"), width=16),
        export.Column(verbose(Quota, "unit")),
        export.Column(_("allowance"), export.NUMBER),
        export.Column(_("used"), export.NUMBER),
        export.Column(_("remaining"), export.NUMBER),
        export.Column(_("highest use"), export.NUMBER),
        export.Column(str(QuotaUsage.Status.PENDING.label), export.NUMBER),
        export.Column(str(QuotaUsage.Status.REJECTED.label), export.NUMBER),
        export.Column(_("uses"), export.INTEGER),
    ]


def rows(report: list[dict]) -> Iterator[list]:
    for row in report:
        yield [
            row["customer_id"],
            row["customer__name"],
            row["customer__tier"],
            row["customer__team__name"] or "",
            row["owner"],
            row["quota"].name,
            row["quota"].unit,
            row["allowance"],
            None if row["quota"].is_ceiling else row["used"],
            row["remaining"],
            row["highest"],
            row["pending"],
            row["rejected"],
            row["uses"],
        ]
