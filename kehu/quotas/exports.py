"""The quota matrix and the usage report as sheets: every row the page shows (the usage
report: every row its filters select, from the same access-scoped query as the page)."""

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.followups.exports import customer_columns
from kehu.sheets import export
from kehu.sheets.downloads import labels, verbose

from .models import Period, Quota, QuotaUsage


# --- the quota definitions (the quotas page) --------------------------------------------------
def _period_text(quota: Quota) -> str:
    """The period as the page writes it: "per month", or "at most, per use" for a ceiling."""
    if quota.is_ceiling:
        return _("at most, per use")
    return _("per %(period)s") % {"period": quota.get_period_display()}


def _period_texts() -> list[str]:
    return [
        _("per %(period)s") % {"period": label}
        for value, label in Period.choices
        if value != Period.NONE
    ] + [_("at most, per use")]


def matrix_columns(tiers: list[str]) -> list[export.Column]:
    return [
        export.Column(verbose(Quota, "name"), width=16),
        export.Column(verbose(Quota, "unit")),
        export.Column(verbose(Quota, "period"), choices=_period_texts()),
        *(export.Column(_("tier %(tier)s") % {"tier": t}, export.NUMBER) for t in tiers),
        export.Column(verbose(Quota, "over_use"), choices=labels(Quota.OverUse.choices)),
        export.Column(verbose(Quota, "active"), choices=(_("Yes"), _("No"))),
    ]


def matrix_rows(
    quotas: list[Quota], tiers: list[str], table: dict[tuple[int, str], Decimal]
) -> Iterator[list]:
    """One row per quota, the page's order; a tier without an allowance is left blank (the
    page's —)."""
    for q in quotas:
        yield [
            q.name,
            q.unit,
            _period_text(q),
            *(table.get((q.pk, t)) for t in tiers),
            q.get_over_use_display(),
            _("Yes") if q.active else _("No"),
        ]


# --- the usage report -----------------------------------------------------------------------


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
