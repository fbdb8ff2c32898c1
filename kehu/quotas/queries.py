"""The read side of service quotas: a customer's allowances this period, the usage report and
the over-uses waiting for a decision. Set-based: sums grouped in the database, the small
quota and allowance tables read once."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kehu.accounts import access
from kehu.customers.models import Customer

from . import periods
from .models import Quota, QuotaAllowance, QuotaUsage

ZERO = Decimal(0)
APPROVED, PENDING, REJECTED = (
    QuotaUsage.Status.APPROVED,
    QuotaUsage.Status.PENDING,
    QuotaUsage.Status.REJECTED,
)


@dataclass
class Standing:
    """One quota of one customer in the current period."""

    quota: Quota
    allowance: Decimal
    has_allowance: bool  # False: the customer's tier has no row (so no allowance)
    used: Decimal | None  # None for a ceiling (nothing is consumed)
    pending: Decimal
    remaining: Decimal | None
    period_start: date
    period_end: date
    period_label: str

    @property
    def percent_used(self) -> int:
        if self.used is None or not self.allowance:
            return 100 if self.used else 0
        return min(int(self.used * 100 / self.allowance), 100)


def allowance_table(quotas=None) -> dict[tuple[int, str], Decimal]:
    """{(quota id, tier): amount} — the whole matrix is a few dozen rows."""
    rows = QuotaAllowance.objects.all()
    if quotas is not None:
        rows = rows.filter(quota__in=quotas)
    return {(q, t): a for q, t, a in rows.values_list("quota_id", "tier", "amount")}


def allowances_for(customer, today: date | None = None) -> list[Standing]:
    """Each active quota for this customer's tier: the allowance, what is used and pending in
    the current period (in the company's time zone) and what is left. Three queries."""
    today = today or periods.company_date()
    quotas = list(Quota.objects.filter(active=True))
    if not quotas:
        return []
    table = allowance_table(quotas)
    starts = {q.pk: periods.period_start(today, q.period) for q in quotas}
    this_period = Q(pk__in=[])
    for q in quotas:
        this_period |= Q(quota_id=q.pk, period_start=starts[q.pk])
    sums = {
        row["quota_id"]: row
        for row in QuotaUsage.objects.filter(this_period, customer_id=customer.pk)
        .values("quota_id")
        .annotate(
            used=Coalesce(Sum("amount", filter=Q(status=APPROVED)), ZERO),
            pending=Coalesce(Sum("amount", filter=Q(status=PENDING)), ZERO),
        )
        .order_by()
    }
    out = []
    for q in quotas:
        key = (q.pk, customer.tier)
        allowance = table.get(key, ZERO) if customer.tier else ZERO
        used = sums.get(q.pk, {}).get("used", ZERO)
        out.append(
            Standing(
                quota=q,
                allowance=allowance,
                has_allowance=bool(customer.tier) and key in table,
                used=None if q.is_ceiling else used,
                pending=sums.get(q.pk, {}).get("pending", ZERO),
                remaining=None if q.is_ceiling else max(allowance - used, ZERO),
                period_start=starts[q.pk],
                period_end=periods.period_end(today, q.period),
                period_label=periods.label(starts[q.pk], q.period),
            )
        )
    return out


def usages_of(customer, limit: int = 10) -> QuerySet:
    """The customer's latest uses (the customer is already one the viewer may see)."""
    return QuotaUsage.objects.filter(customer_id=customer.pk).select_related(
        "quota", "by", "decided_by"
    )[:limit]


def _uses(actor, start: date, end: date, quota: Quota | None = None, team=None) -> QuerySet:
    """The uses in start…end (days in the company's zone) of the customers the actor sees."""
    uses = access.visible(actor, QuotaUsage).filter(used_on__gte=start, used_on__lte=end)
    if quota is not None:
        uses = uses.filter(quota_id=quota.pk)
    if team is not None:
        uses = uses.filter(customer__team_id__in=access.team_subtree_ids(team))
    return uses


SUMS = {
    "used": Coalesce(Sum("amount", filter=Q(status=APPROVED)), ZERO),
    "pending": Coalesce(Sum("amount", filter=Q(status=PENDING)), ZERO),
    "rejected": Coalesce(Sum("amount", filter=Q(status=REJECTED)), ZERO),
    "highest": Max("amount", filter=Q(status=APPROVED)),
    "uses": Count("id"),
}


def report_rows(actor, start: date, end: date, quota: Quota | None = None, team=None) -> QuerySet:
    """One row per customer and quota with uses in the range: approved, pending and rejected
    sums, and how many uses."""
    return (
        _uses(actor, start, end, quota, team)
        .values(
            "customer_id",
            "customer__name",
            "customer__tier",
            "customer__team__name",
            "customer__owner__name",
            "customer__owner__username",
            "quota_id",
        )
        .annotate(**SUMS)
        .order_by("customer__name", "customer_id", "quota_id")
    )


def report_totals(actor, start: date, end: date, quota: Quota | None = None, team=None) -> list:
    """Per quota over the whole range: customers, uses, approved, pending and rejected sums."""
    quotas = {q.pk: q for q in Quota.objects.all()}
    rows = (
        _uses(actor, start, end, quota, team)
        .values("quota_id")
        .annotate(customers=Count("customer_id", distinct=True), **SUMS)
        .order_by("quota_id")
    )
    return [{**row, "quota": quotas[row["quota_id"]]} for row in rows]


def usage_report(
    actor, start: date, end: date, quota: Quota | None = None, team=None, *, limit=None
) -> list[dict]:
    """The report's rows with the allowance over the range: for an allowance quota, the
    customer's current tier's allowance times the periods the range touches (a range of one
    month of a monthly quota: one month's allowance); for a ceiling, the ceiling per use.
    `over` marks approved use beyond that."""
    quotas = {q.pk: q for q in Quota.objects.all()}
    table = allowance_table()
    counts = {q.pk: len(periods.starts_between(start, end, q.period)) for q in quotas.values()}
    rows = report_rows(actor, start, end, quota, team)
    if limit is not None:
        rows = rows[:limit]
    out = []
    for row in rows:
        q = quotas[row["quota_id"]]
        per = table.get((q.pk, row["customer__tier"]), ZERO)
        allowance = per if q.is_ceiling else per * counts[q.pk]
        out.append(
            {
                **row,
                "quota": q,
                "owner": row["customer__owner__name"] or row["customer__owner__username"] or "",
                "allowance": allowance,
                "remaining": None if q.is_ceiling else max(allowance - row["used"], ZERO),
                "over": (not q.is_ceiling) and row["used"] > allowance,
            }
        )
    return out


def pending_approvals(actor) -> QuerySet:
    """The over-uses waiting for the actor's decision: all of them for directors and admins,
    those of their team subtree's customers for a manager (not ones they logged), none for
    others. Oldest first."""
    pending = access.visible(actor, QuotaUsage).filter(status=PENDING)
    if actor.is_read_only:
        pending = pending.none()
    elif not actor.sees_everything:
        if actor.is_manager and actor.team_id:
            pending = pending.filter(
                customer__team_id__in=access.team_subtree_ids(actor.team)
            ).exclude(by=actor)
        else:
            pending = pending.none()
    return pending.select_related("customer", "quota", "by").order_by("created_at", "pk")


def matrix() -> tuple[list[Quota], list[str], dict[tuple[int, str], Decimal]]:
    """The quota definitions × tiers, for the quotas page."""
    return list(Quota.objects.all()), list(Customer.TIERS), allowance_table()
