"""The monthly or quarterly review (复盘) of a scope: the period's figures against the period
before, the traits high-value customers share, why customers churned and deals were lost, and
the work left overdue. Plain data for the page, the workbook and the PDF.

Every figure is the one its home module defines: the lifecycle figures from
kehu.sales.lifecycle.figures, the deal conversion and win rate from kehu.pipeline.analytics (its
by-owner rows added up), the lost reasons from analytics.lost_reasons. Everything is read from
the actor's visible set narrowed to the scope (a rep's own book, a team subtree, the company),
which lifecycle.scope_for has already checked the actor may open.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.customers.models import Channel, Customer, Industry
from kehu.followups.models import FollowUp
from kehu.pipeline import analytics
from kehu.pipeline.models import Stage
from kehu.sales import churn, lifecycle
from kehu.sales.models import Feedback, Order, SurveyAnswer
from kehu.targets import periods

KINDS = (periods.Kind.MONTH, periods.Kind.QUARTER)
HIGH_VALUE_SHARE = Decimal("0.2")  # the top fifth of the paying customers by purchases
TRAIT_MIN_SHARE = Decimal("25")  # a trait: held by at least a quarter of the high-value ...
TRAIT_MIN_LIFT = Decimal("1.2")  # ... and a fifth more often than in the base
TOP_TRAITS = 5
LIST_LIMIT = 20  # customers and complaints listed by name
LOST_REASONS = 10
# figures whose change reads best as a percentage of the period before; the rest (rates,
# CSAT, NPS) change in points
RELATIVE = {"deals", "new_customers", "revenue", "average_order"}
LOWER_IS_BETTER = {"churn_rate"}
DIMENSIONS = ("industry", "province", "channel", "size")
SKIPPED = {"lifetime"}  # over every customer whose lifetime is over: the same in any period


# --- periods --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    kind: str
    start: date

    @property
    def end(self) -> date:
        return periods.end(self.kind, self.start)

    @property
    def label(self) -> str:
        return periods.label(self.kind, self.start)

    @property
    def key(self) -> str:
        return periods.key(self.kind, self.start)

    @property
    def previous(self) -> "Period":
        return Period(self.kind, periods.previous(self.kind, self.start))

    @property
    def next(self) -> "Period":
        return Period(self.kind, periods.end(self.kind, self.start) + timedelta(days=1))

    @property
    def title(self) -> str:
        if self.kind == periods.Kind.QUARTER:
            return _("Quarterly review")
        return _("Monthly review")


def period_for(kind: str, at: str, today: date) -> Period:
    """The month or quarter holding `at` (a date, '2024-07' or '2024-Q3'); without one the
    last period that is over, the one a review is usually about."""
    kind = kind if kind in KINDS else periods.Kind.MONTH
    at = (at or "").strip()
    if not at:
        return Period(kind, periods.previous(kind, periods.start_of(kind, today)))
    try:
        day = parse_date(at)
    except ValueError:
        day = None
    if day is not None:
        return Period(kind, periods.start_of(kind, day))
    if kind == periods.Kind.QUARTER and "-Q" not in at.upper():
        # a month asked for as a quarter: the quarter holding it
        month = periods.parse(periods.Kind.MONTH, at, today)
        return Period(kind, periods.start_of(kind, month))
    return Period(kind, periods.parse(kind, at, today))


# --- the report -----------------------------------------------------------------------------
@dataclass
class Change:
    """A figure in the period and in the one before."""

    key: str
    label: str
    definition: str
    unit: str
    value: object
    previous: object
    parts: dict = field(default_factory=dict)
    previous_parts: dict = field(default_factory=dict)

    @property
    def delta(self):
        if self.value is None or self.previous is None:
            return None
        if isinstance(self.value, float) or isinstance(self.previous, float):
            return round(float(self.value) - float(self.previous), 1)
        return self.value - self.previous

    @property
    def delta_pct(self) -> Decimal | None:
        """The change in % of the period before, for counts and money."""
        if self.key not in RELATIVE or self.delta is None or not self.previous:
            return None
        return (Decimal(self.delta) * 100 / Decimal(self.previous)).quantize(Decimal("0.1"))

    @property
    def sign(self) -> str:
        """'+' before a rise (a fall carries its own minus sign)."""
        return "+" if self.delta is not None and self.delta > 0 else ""

    @property
    def in_points(self) -> bool:
        """Changes in points (rates), not in % of the period before."""
        return self.unit == "%"

    @property
    def trend(self) -> str:
        """'better', 'worse' or 'same' ('' without both values)."""
        if self.delta is None:
            return ""
        if self.delta == 0:
            return "same"
        up = self.delta > 0
        return "better" if up != (self.key in LOWER_IS_BETTER) else "worse"


@dataclass
class Trait:
    dimension: str
    dimension_label: str
    value: str
    high: int
    base: int
    high_share: Decimal  # % of the high-value customers
    base_share: Decimal  # % of the base
    lift: Decimal  # high_share / base_share
    is_set: bool = True  # False for the customers without a value


@dataclass
class Review:
    scope: lifecycle.Scope
    period: Period
    today: date
    figures: list[Change]
    high_value: dict
    traits: dict  # dimension -> its traits, most over-represented first
    top_traits: list[Trait]
    churn: dict
    lost: dict
    overdue: dict
    generated_at: datetime = field(default_factory=timezone.now)


def build(actor, scope: lifecycle.Scope, period: Period, today: date | None = None) -> Review:
    today = today or timezone.localdate()
    high_value, traits, top = high_value_traits(actor, scope)
    return Review(
        scope=scope,
        period=period,
        today=today,
        figures=headline(actor, scope, period, today),
        high_value=high_value,
        traits=traits,
        top_traits=top,
        churn=churn_reasons(actor, scope, period, today),
        lost=lost_reasons(actor, scope, period),
        overdue=overdue_work(actor, scope, today),
    )


def _customer_q(scope: lifecycle.Scope) -> Q:
    """The scope's customers (Customer fields), as lifecycle counts them: those it owns now."""
    if scope.user:
        return Q(owner_id=scope.user.pk)
    if scope.team:
        return Q(team_id__in=access.team_subtree_ids(scope.team))
    return Q()


def customers_in(actor, scope: lifecycle.Scope):
    return access.visible_customers(actor).filter(_customer_q(scope))


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- headline figures -----------------------------------------------------------------------
def _deals(actor, scope: lifecycle.Scope, **filters):
    return analytics.deals(
        actor,
        analytics.Filters(
            team=scope.team.pk if scope.team else None,
            owner=scope.user.pk if scope.user else None,
            **filters,
        ),
    )


def deal_figures(actor, scope: lifecycle.Scope, start: date, end: date) -> list[lifecycle.Figure]:
    """Conversion and win rate of the deals created in the period: the flow analytics' rates by
    owner (analytics.by_owner) added up over the scope."""
    rows = analytics.by_owner(_deals(actor, scope, since=start, until=end))
    deals = sum(r["deals"] for r in rows)
    won = sum(r["won"] for r in rows)
    lost = sum(r["lost"] for r in rows)
    return [
        lifecycle.Figure(
            "conversion",
            _("lead-to-won conversion"),
            _pct(won, deals),
            _("Of the deals created in the period, the share won so far."),
            "%",
            {"part": won, "whole": deals},
        ),
        lifecycle.Figure(
            "win_rate",
            _("win rate"),
            _pct(won, won + lost),
            _("Of the deals created in the period and closed, the share won."),
            "%",
            {"part": won, "whole": won + lost},
        ),
        lifecycle.Figure(
            "deals",
            _("new deals"),
            deals,
            _("Deals created in the period."),
        ),
    ]


def headline(actor, scope: lifecycle.Scope, period: Period, today: date) -> list[Change]:
    def both(start, end):
        figures = deal_figures(actor, scope, start, end) + [
            f for f in lifecycle.figures(scope, start, end, today) if f.key not in SKIPPED
        ]
        return {f.key: f for f in figures}

    now = both(period.start, period.end)
    before = both(period.previous.start, period.previous.end)
    return [
        Change(
            key=key,
            label=f.label,
            definition=f.definition,
            unit=f.unit,
            value=f.value,
            previous=before[key].value,
            parts=f.parts,
            previous_parts=before[key].parts,
        )
        for key, f in now.items()
    ]


# --- high-value customers -------------------------------------------------------------------
def _dimensions() -> list[tuple[str, str, dict, str]]:
    """(name, column, value → label, the dimension's label) of the traits compared."""
    label = {name: str(Customer._meta.get_field(name).verbose_name) for name in DIMENSIONS}
    return [
        (
            "industry",
            "industry_id",
            dict(Industry.objects.values_list("pk", "name")),
            label["industry"],
        ),
        ("province", "province", {}, label["province"]),
        (
            "channel",
            "channel_id",
            dict(Channel.objects.values_list("pk", "name")),
            label["channel"],
        ),
        ("size", "size", {k: str(v) for k, v in Customer.Size.choices}, label["size"]),
    ]


def high_value_traits(actor, scope: lifecycle.Scope) -> tuple[dict, dict, list[Trait]]:
    """The high-value customers (the top fifth of the scope's paying customers by what they
    have bought, ties broken by id) against all its paying customers: each industry, province,
    channel and size by its share in both and the lift (share among the high-value ÷ share in
    the base). A trait worth naming is held by at least TRAIT_MIN_SHARE % of the high-value
    customers and TRAIT_MIN_LIFT times as often as in the base. One GROUP BY per dimension,
    counting both groups at once."""
    base = customers_in(actor, scope).filter(purchase_count__gt=0)
    total = base.count()
    summary = {"base": total, "count": 0, "threshold": None, "revenue_share": None}
    if not total:
        return summary, {}, []
    k = max(1, math.ceil(total * HIGH_VALUE_SHARE))
    threshold, last_pk = base.order_by("-purchase_total", "-pk").values_list(
        "purchase_total", "pk"
    )[k - 1]
    high = Q(purchase_total__gt=threshold) | Q(purchase_total=threshold, pk__gte=last_pk)
    money = base.aggregate(all=Sum("purchase_total"), high=Sum("purchase_total", filter=high))
    summary.update(
        count=k,
        threshold=threshold,
        revenue_share=_pct(money["high"] or 0, money["all"] or 0),
        revenue=money["high"] or Decimal(0),
    )
    traits: dict[str, list[Trait]] = {}
    for name, column, labels, label in _dimensions():
        rows = (
            base.order_by()
            .values(column)
            .annotate(n=Count("pk"), h=Count("pk", filter=high))
            .values_list(column, "n", "h")
        )
        out = []
        for value, n, h in rows:
            high_share, base_share = _pct(h, k), _pct(n, total)
            out.append(
                Trait(
                    dimension=name,
                    dimension_label=label,
                    value=(labels.get(value, value) if value not in (None, "") else "")
                    or _("(not set)"),
                    high=h,
                    base=n,
                    high_share=high_share,
                    base_share=base_share,
                    lift=(Decimal(h) * total / (Decimal(n) * k)).quantize(Decimal("0.01")),
                    is_set=value not in (None, ""),
                )
            )
        out.sort(key=lambda t: (-t.lift, -t.high, t.value))
        traits[name] = out
    top = sorted(
        (
            t
            for rows in traits.values()
            for t in rows
            if t.is_set and t.high_share >= TRAIT_MIN_SHARE and t.lift >= TRAIT_MIN_LIFT
        ),
        key=lambda t: (-t.lift, -t.high, t.dimension, t.value),
    )[:TOP_TRAITS]
    return summary, traits, top


# --- churn ----------------------------------------------------------------------------------
def churned_in(actor, scope: lifecycle.Scope, period: Period, today: date):
    """The customers the churn rate counts as churned in the period (lifecycle.buyers_and_churn:
    active at the start — an order in the KEHU_CHURN_DAYS before it — and by the end without an
    order in the KEHU_CHURN_DAYS up to it, or marked churned when KEHU_CHURN_MARKED), by name:
    the same membership, read from the visible orders grouped by customer."""
    start, end = period.start, period.end
    if start > today:
        return Customer.objects.none()
    days = settings.KEHU_CHURN_DAYS
    churn_end = min(end, today)
    active_from = start - timedelta(days=days - 1)
    recent_from = churn_end - timedelta(days=days - 1)
    per_customer = (
        access.visible(actor, Order)
        .filter(access.on_customer(_customer_q(scope)))
        .filter(order_date__gte=min(active_from, start), order_date__lte=end)
        .order_by()
        .values("customer_id")
        .annotate(
            before=Count("pk", filter=Q(order_date__lt=start)),
            recent=Count("pk", filter=Q(order_date__gte=recent_from, order_date__lte=churn_end)),
        )
        .filter(before__gt=0)
    )
    gone = Q(pk__in=per_customer.filter(recent=0).values("customer_id"))
    if settings.KEHU_CHURN_MARKED:
        gone |= Q(status=Customer.Status.CHURNED)
    return customers_in(actor, scope).filter(gone, pk__in=per_customer.values("customer_id"))


def churn_reasons(actor, scope: lifecycle.Scope, period: Period, today: date) -> dict:
    """Why the period's churned customers went, from what is on record in the KEHU_CHURN_DAYS
    up to the period's end: their complaints by category and their low satisfaction answers
    (CSAT at or under KEHU_LOW_CSAT, NPS detractors); a customer can have several reasons."""
    churned = churned_in(actor, scope, period, today)
    since = period.end - timedelta(days=settings.KEHU_CHURN_DAYS)
    ids = churned.values("pk")
    count = churned.count()
    complaints = Feedback.objects.filter(
        customer__in=ids,
        kind=Feedback.Kind.COMPLAINT,
        opened_at__gte=_start(since),
        opened_at__lt=_start(period.end + timedelta(days=1)),
    )
    low = SurveyAnswer.objects.filter(
        customer__in=ids, answered_on__gte=since, answered_on__lte=period.end
    ).filter(churn.low_answer(settings.KEHU_LOW_CSAT))
    categories = dict(Feedback.Category.choices)
    reasons = [
        {
            "key": category,
            "label": _("complaints: %(category)s") % {"category": categories[category]},
            "customers": n,
        }
        for category, n in complaints.order_by()
        .values("category")
        .annotate(n=Count("customer_id", distinct=True))
        .values_list("category", "n")
    ]
    unhappy = low.order_by().values("customer_id").distinct().count()
    if unhappy:
        reasons.append(
            {"key": "satisfaction", "label": _("low satisfaction"), "customers": unhappy}
        )
    explained = (
        churned.filter(
            Q(pk__in=complaints.values("customer_id")) | Q(pk__in=low.values("customer_id"))
        ).count()
        if reasons
        else 0
    )
    if count - explained:
        reasons.append(
            {
                "key": "none",
                "label": _("no complaint or low answer on record"),
                "customers": count - explained,
            }
        )
    for r in reasons:
        r["share"] = _pct(r["customers"], count)
    reasons.sort(key=lambda r: (r["key"] == "none", -r["customers"], r["label"]))
    marked = churned.filter(status=Customer.Status.CHURNED).count()

    listed = list(churned.select_related("owner").order_by("-purchase_total", "pk")[:LIST_LIMIT])
    shown = [c.pk for c in listed]
    per_customer: dict[int, list[str]] = {}
    for cid, category in (
        complaints.filter(customer_id__in=shown)
        .order_by("customer_id", "category")
        .values_list("customer_id", "category")
        .distinct()
    ):
        per_customer.setdefault(cid, []).append(str(categories[category]))
    for cid in low.filter(customer_id__in=shown).values_list("customer_id", flat=True).distinct():
        per_customer.setdefault(cid, []).append(_("low satisfaction"))
    return {
        "count": count,
        "marked": marked,
        "lapsed": count - marked,
        "since": since,
        "reasons": reasons,
        "customers": [
            {
                "pk": c.pk,
                "name": c.name,
                "owner": str(c.owner or ""),
                "tier": c.tier,
                "status": c.get_status_display(),
                "purchase_total": c.purchase_total,
                "last_purchase_on": c.last_purchase_on,
                "reasons": per_customer.get(c.pk, []),
            }
            for c in listed
        ],
    }


# --- lost deals -----------------------------------------------------------------------------
def lost_reasons(actor, scope: lifecycle.Scope, period: Period) -> dict:
    """The deals lost (closed in a lost stage) in the period, grouped by the reason given
    (analytics.lost_reasons), the most frequent first."""
    rows = _deals(actor, scope).filter(
        stage__kind=Stage.Kind.LOST,
        closed_at__gte=_start(period.start),
        closed_at__lt=_start(period.end + timedelta(days=1)),
    )
    total = rows.aggregate(n=Count("pk"), amount=Sum("amount"))
    reasons = analytics.lost_reasons(rows, limit=LOST_REASONS)
    out = [
        {
            "reason": r["lost_reason"] or _("(no reason given)"),
            "deals": r["n"],
            "amount": r["amount"] or Decimal(0),
            "share": _pct(r["n"], total["n"]),
        }
        for r in reasons
    ]
    rest = total["n"] - sum(r["deals"] for r in out)
    if rest:
        out.append(
            {
                "reason": _("other reasons"),
                "deals": rest,
                "amount": (total["amount"] or 0) - sum(r["amount"] for r in out),
                "share": _pct(rest, total["n"]),
            }
        )
    return {"deals": total["n"], "amount": total["amount"] or Decimal(0), "reasons": out}


# --- overdue work ---------------------------------------------------------------------------
def overdue_work(actor, scope: lifecycle.Scope, today: date) -> dict:
    """As of today: the scope's open follow-ups due before today and its open complaints, by
    the person who owns them; and the open complaints, the most severe and oldest first."""
    on_scope = access.on_customer(_customer_q(scope))
    followups = (
        access.visible(actor, FollowUp)
        .filter(on_scope, status__in=FollowUp.OPEN, due_on__lt=today)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"), oldest=Min("due_on"))
        .values_list("owner_id", "n", "oldest")
    )
    complaints = (
        access.visible(actor, Feedback)
        .filter(on_scope, kind=Feedback.Kind.COMPLAINT, status__in=Feedback.OPEN_STATUSES)
        .order_by()
    )
    by_owner: dict = {}

    def row(owner_id):
        return by_owner.setdefault(
            owner_id,
            {"owner_id": owner_id, "followups": 0, "oldest_due": None, "complaints": 0},
        )

    for owner_id, n, oldest in followups:
        r = row(owner_id)
        r.update(followups=n, oldest_due=oldest, days_late=(today - oldest).days)
    for owner_id, n, worst in (
        complaints.values("owner_id")
        .annotate(n=Count("pk"), worst=Max("severity"))
        .values_list("owner_id", "n", "worst")
    ):
        row(owner_id).update(complaints=n, worst=Feedback.Severity(worst).label)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in by_owner if k])}
    owners = sorted(
        by_owner.values(),
        key=lambda r: (-r["followups"], -r["complaints"], names.get(r["owner_id"], "")),
    )
    for r in owners:
        r["owner"] = names.get(r["owner_id"]) or _("(no owner)")
        r.setdefault("days_late", None)
        r.setdefault("worst", "")
    listed = complaints.select_related("customer", "owner").order_by(
        "-severity", "opened_at", "pk"
    )[:LIST_LIMIT]
    return {
        "followups": sum(r["followups"] for r in owners),
        "complaints": sum(r["complaints"] for r in owners),
        "owners": owners,
        "open_complaints": [
            {
                "customer": c.customer.name,
                "category": c.get_category_display(),
                "severity": c.get_severity_display(),
                "summary": c.summary,
                "owner": str(c.owner or ""),
                "opened_at": timezone.localtime(c.opened_at),
                "days_open": (today - timezone.localtime(c.opened_at).date()).days,
            }
            for c in listed
        ],
    }
