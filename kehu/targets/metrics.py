"""The actuals and forecasts targets are measured against, for every salesperson at once: one
GROUP BY owner per metric and period, in the database. Teams add up their subtree's people.

- won amount: deals in a won stage closed in the period (the deal's owner), by the local date
  of closing;
- new customers: customers whose first order falls in the period (the customer's owner);
- collections: the amount collected on orders whose (last) collection falls in the period
  (the order's owner).

Forecast (for the rest of the period): won amount adds the open deals expected to close by the
period's end (overdue ones count as closing now) weighted by their probability; the other
metrics project the run rate so far over the whole period."""

from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.pipeline.models import Deal, Stage
from kehu.sales.models import Order

from . import periods

ZERO = Decimal(0)
CENT = Decimal("0.01")

DEFINITIONS = {
    "won_amount": _(
        "Sum of the deals won in the period (closing date), credited to the deal's owner."
    ),
    "new_customers": _("Customers whose first order falls in the period, by their owner."),
    "collections": _(
        "Amount collected on orders whose collection falls in the period, by the order's owner."
    ),
}
FORECAST_DEFINITIONS = {
    "won_amount": _(
        "Actual plus the open deals expected to close by the period's end, each at its probability."
    ),
    "new_customers": _("Actual so far projected over the whole period at the same pace."),
    "collections": _("Actual so far projected over the whole period at the same pace."),
}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.max), zone),
    )


def actuals(metric: str, start: date, end: date, owner_ids=None) -> dict[int, Decimal]:
    """{owner id: actual} for everyone with any (or only `owner_ids`)."""
    if metric == "won_amount":
        low, high = _bounds(start, end)
        rows = Deal.objects.filter(
            stage__kind=Stage.Kind.WON, closed_at__gte=low, closed_at__lte=high
        ).values(who=F("owner_id"))
        rows = rows.annotate(v=Sum("amount"))
    elif metric == "new_customers":
        rows = Customer.objects.filter(first_purchase_on__range=(start, end)).values(
            who=F("owner_id")
        )
        rows = rows.annotate(v=Count("pk"))
    elif metric == "collections":
        rows = Order.objects.filter(collected_on__range=(start, end)).values(who=F("owner_id"))
        rows = rows.annotate(v=Sum("collected_amount"))
    else:
        raise ValueError(metric)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=list(owner_ids))
    return {r["who"]: Decimal(r["v"] or 0) for r in rows.order_by() if r["who"] is not None}


def pipeline(end: date, owner_ids=None) -> dict[int, Decimal]:
    """{owner id: Σ amount × probability of open deals expected to close by `end`}."""
    rows = Deal.objects.filter(stage__kind=Stage.Kind.OPEN, expected_close__lte=end)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=list(owner_ids))
    rows = rows.values("owner_id").annotate(v=Sum(F("amount") * F("probability")))
    return {r["owner_id"]: (Decimal(r["v"] or 0) / 100).quantize(CENT) for r in rows.order_by()}


def forecast(
    metric: str, kind: str, start: date, actual: Decimal, weighted: Decimal, today: date
) -> Decimal:
    """The period's expected end value for one scope (see the module docstring)."""
    last = periods.end(kind, start)
    if today > last:
        return actual
    if metric == "won_amount":
        return actual + (weighted if today >= start else ZERO)
    share = periods.elapsed_share(kind, start, today)
    if not share:
        return actual
    projected = Decimal(actual) / share
    return projected.quantize(CENT) if metric != "new_customers" else projected.quantize(1)
