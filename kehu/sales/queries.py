"""Read side of purchases, satisfaction and feedback: the customer's purchase panel, the order
and complaint lists, cross-sell, trends. Every query starts from accounts.access."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kehu.accounts import access

from .models import Feedback, Order, OrderLine, Product, ProductBuyers, ProductPair, SurveyAnswer


def months_back(today: date, months: int) -> date:
    """The first day of the month `months` − 1 months before today's: 12 → a year of months."""
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


@dataclass
class PurchaseSummary:
    total: Decimal
    count: int
    this_year: Decimal
    this_year_count: int
    average: Decimal | None
    per_year: float | None  # orders a year over the customer's buying life
    recency_days: int | None
    first: date | None
    last: date | None
    due: date | None
    margin: Decimal
    categories: list  # (category, amount), largest first
    months: list  # (YYYY-MM, amount) for the last 24 months, empty months included


def purchase_summary(actor, customer, today: date | None = None) -> PurchaseSummary:
    """The customer page's purchase panel: totals from the customer row (kept by the services),
    this year's and the categories and months from its orders (its own index)."""
    customer = access.get_customer(actor, customer.pk)
    today = today or timezone.localdate()
    orders = Order.objects.filter(customer=customer)
    year = orders.filter(order_date__gte=date(today.year, 1, 1)).aggregate(
        amount=Sum("amount"), n=Count("id")
    )
    count = customer.purchase_count
    first, last = customer.first_purchase_on, customer.last_purchase_on
    per_year = None
    if count and first and last:
        years = max((today - first).days, 1) / 365.25
        per_year = round(count / max(years, 1), 1)
    categories = list(
        OrderLine.objects.filter(order__customer=customer)
        .values_list("product__category__name")
        .annotate(amount=Sum("amount"))
        .order_by("-amount")[:3]
    )
    since = months_back(today, 24)
    by_month = {
        m.strftime("%Y-%m"): amount
        for m, amount in orders.filter(order_date__gte=since)
        .annotate(m=TruncMonth("order_date"))
        .values_list("m")
        .annotate(amount=Sum("amount"))
    }
    months, cursor = [], since
    while cursor <= today:
        key = cursor.strftime("%Y-%m")
        months.append((key, by_month.get(key) or Decimal("0")))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return PurchaseSummary(
        total=customer.purchase_total,
        count=count,
        this_year=year["amount"] or Decimal("0.00"),
        this_year_count=year["n"],
        average=(customer.purchase_total / count).quantize(Decimal("0.01")) if count else None,
        per_year=per_year,
        recency_days=(today - last).days if last else None,
        first=first,
        last=last,
        due=customer.purchase_due_on,
        margin=customer.purchase_margin,
        categories=[(name, amount) for name, amount in categories if amount],
        months=months,
    )


def orders_of(actor, customer, limit: int = 20):
    return (
        access.visible(actor, Order)
        .filter(customer=customer)
        .select_related("owner")
        .prefetch_related("lines__product")[:limit]
    )


def order_list(actor, params: dict):
    """The purchase records sheet: newest first, filtered."""
    qs = access.visible_in_key_order(actor, Order).select_related("customer", "owner")
    if params.get("customer"):
        qs = qs.filter(customer_id=params["customer"])
    if params.get("owner"):
        qs = qs.filter(owner=params["owner"])
    if params.get("collection"):
        qs = qs.filter(collection=params["collection"])
    if params.get("since"):
        qs = qs.filter(order_date__gte=params["since"])
    if params.get("until"):
        qs = qs.filter(order_date__lte=params["until"])
    if params.get("product"):
        qs = qs.filter(lines__product=params["product"]).distinct()
    return qs


def answers_of(actor, customer, limit: int = 20):
    return (
        access.visible(actor, SurveyAnswer)
        .filter(customer=customer)
        .select_related("contact", "recorded_by")[:limit]
    )


def feedback_of(actor, customer, limit: int = 20):
    return access.visible(actor, Feedback).filter(customer=customer).select_related("owner")[:limit]


def feedback_list(actor, params: dict):
    qs = access.visible(actor, Feedback).select_related("customer", "owner")
    if params.get("customer"):
        qs = qs.filter(customer_id=params["customer"])
    if params.get("open"):
        qs = qs.filter(status__in=Feedback.OPEN_STATUSES)
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    if params.get("mine"):
        qs = qs.filter(owner=actor)
    return qs


def open_complaints_of(user):
    """My day: the open complaints the person owns, worst first."""
    return (
        access.visible(user, Feedback)
        .filter(owner=user, status__in=Feedback.OPEN_STATUSES, kind=Feedback.Kind.COMPLAINT)
        .select_related("customer")
        .order_by("-severity", "opened_at")
    )


def feedback_trends(actor, months: int = 12, today: date | None = None) -> dict:
    """Complaints and feedback opened per month and category, and the average days to
    resolve per category, over the last `months` months of what the actor sees."""
    today = today or timezone.localdate()
    since = months_back(today, months)
    qs = access.visible(actor, Feedback).filter(opened_at__date__gte=since)
    counts: dict[str, dict[str, int]] = {}
    for month, category, n in (
        qs.annotate(m=TruncMonth("opened_at"))
        .values_list("m", "category")
        .annotate(n=Count("id"))
        .order_by("m")
    ):
        counts.setdefault(month.strftime("%Y-%m"), {})[category] = n
    resolved = {}
    for category, opened, done in qs.filter(resolved_at__isnull=False).values_list(
        "category", "opened_at", "resolved_at"
    ):
        resolved.setdefault(category, []).append((done - opened).total_seconds() / 86400)
    return {
        "months": sorted(counts),
        "counts": counts,
        "open": qs.filter(status__in=Feedback.OPEN_STATUSES).count(),
        "days_to_resolve": {c: round(sum(v) / len(v), 1) for c, v in resolved.items()},
        "by_category": dict(qs.values_list("category").annotate(n=Count("id")).order_by("-n")),
    }


# --- cross-sell -----------------------------------------------------------------------------
@dataclass
class Suggestion:
    product: Product
    share: float  # of the customers who bought `because`, the share who also bought `product`
    because: Product
    customers: int


def cross_sell(actor, customer, limit: int = 5) -> list[Suggestion]:
    """Products that customers who bought the same products also bought, and this one has not:
    read from the co-purchase table (services.rebuild_pairs, nightly), strongest share first."""
    customer = access.get_customer(actor, customer.pk)
    mine = set(
        OrderLine.objects.filter(order__customer=customer, product__isnull=False).values_list(
            "product_id", flat=True
        )
    )
    if not mine:
        return []
    buyers = dict(
        ProductBuyers.objects.filter(product_id__in=mine).values_list("product_id", "customers")
    )
    best: dict[int, tuple[float, int, int]] = {}
    for product_id, other_id, n in (
        ProductPair.objects.filter(product_id__in=mine, other__active=True)
        .exclude(other_id__in=mine)
        .values_list("product_id", "other_id", "customers")
    ):
        share = n / buyers[product_id] if buyers.get(product_id) else 0
        if share > best.get(other_id, (0, 0, 0))[0]:
            best[other_id] = (share, product_id, n)
    top = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][2]))[:limit]
    products = Product.objects.in_bulk([pid for pid, _v in top] + [v[1] for _p, v in top])
    return [
        Suggestion(products[pid], round(share * 100, 1), products[because], n)
        for pid, (share, because, n) in top
    ]


def products_with_sales(params: dict | None = None):
    """The product list with what each has sold (all orders: products are not anyone's data),
    by name (a query with aggregates does not follow Meta.ordering)."""
    return (
        Product.objects.select_related("category")
        .annotate(sold=Sum("lines__amount"), orders=Count("lines__order", distinct=True))
        .order_by("name", "pk")
    )


def monthly_revenue(scope_where: tuple[str, list], year: int) -> list[Decimal]:
    """Revenue per month of `year` for a scope condition on orders (alias o)."""
    where, params = scope_where
    month = (
        "CAST(strftime('%%m', o.order_date) AS INTEGER)"
        if connection.vendor == "sqlite"
        else "EXTRACT(MONTH FROM o.order_date)::int"
    )
    sql = (
        f"SELECT {month}, SUM(o.amount) FROM {Order._meta.db_table} o "
        f"WHERE o.order_date BETWEEN %s AND %s AND {where} GROUP BY 1"
    )
    start, end = date(year, 1, 1), date(year, 12, 31)
    if connection.vendor == "sqlite":
        start, end = start.isoformat(), end.isoformat()
    out = [Decimal("0.00")] * 12
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, *params])
        for m, amount in cursor.fetchall():
            out[int(m) - 1] = Decimal(str(amount)).quantize(Decimal("0.01"))
    return out


def monthly_new_customers(scope_where: tuple[str, list], year: int) -> list[int]:
    from kehu.customers.models import Customer

    where, params = scope_where
    month = (
        "CAST(strftime('%%m', c.first_purchase_on) AS INTEGER)"
        if connection.vendor == "sqlite"
        else "EXTRACT(MONTH FROM c.first_purchase_on)::int"
    )
    start, end = date(year, 1, 1), date(year, 12, 31)
    if connection.vendor == "sqlite":
        start, end = start.isoformat(), end.isoformat()
    out = [0] * 12
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {month}, COUNT(*) FROM {Customer._meta.db_table} c "
            f"WHERE c.first_purchase_on BETWEEN %s AND %s AND {where} GROUP BY 1",
            [start, end, *params],
        )
        for m, n in cursor.fetchall():
            out[int(m) - 1] = n
    return out


def satisfaction_breakdown(actor, start: date, end: date, by: str) -> list[tuple]:
    """Average CSAT and NPS per team or per tier (the customer's current one) in a period."""
    key = {"team": "customer__team__name", "tier": "customer__tier"}[by]
    rows = (
        access.visible(actor, SurveyAnswer)
        .filter(answered_on__range=(start, end))
        .values_list(key)
        .annotate(
            csat_sum=Sum("score", filter=Q(kind="csat")),
            csat_n=Count("id", filter=Q(kind="csat")),
            promoters=Count("id", filter=Q(kind="nps", score__gte=9)),
            detractors=Count("id", filter=Q(kind="nps", score__lte=6)),
            nps_n=Count("id", filter=Q(kind="nps")),
        )
        .order_by(key)
    )
    out = []
    for name, csat_sum, csat_n, promoters, detractors, nps_n in rows:
        out.append(
            (
                name or "—",
                round(csat_sum / csat_n, 2) if csat_n else None,
                csat_n,
                round((promoters - detractors) * 100 / nps_n, 1) if nps_n else None,
                nps_n,
            )
        )
    return out
