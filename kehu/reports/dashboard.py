"""The home dashboard's figures for a role's scope and a period, against the period before.

Scope by role: a rep their own book, a manager (or a viewer with a team) their team's subtree,
directors, admins and viewers without a team the company. Every figure comes from the query
function that already defines it (kehu.sales.lifecycle, kehu.pipeline, kehu.followups,
kehu.targets) and from the actor's visible set; each chart point carries the URL of the list
behind it, whose count is the same number.

Freshness: at a million customers the company's figures cost seconds of aggregates
(repurchase and churn alone group a year of orders by customer), so they are precomputed and
kept in Django's cache (a file cache under var/ by default, shared by the web workers and the
`kehu worker`): the nightly job `reports.warm` computes the company's figures of the month,
quarter and year; a view of figures older than KEHU_DASHBOARD_CACHE_SECONDS (default 300)
shows them as they are and asks the worker for a fresh copy (one at a time per scope); only
figures never computed (a scope's first look of the day) are computed in the request. The page
says when they were computed ("figures as of 10:42"). The previous period's figures hardly
move (back-dated orders only), so they are kept for KEHU_DASHBOARD_PREVIOUS_CACHE_SECONDS
(default 3600). Figures are plain numbers and names, never model instances, so any cache
backend can hold them.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.followups import queries as followup_queries
from kehu.pipeline import analytics
from kehu.pipeline import queries as pipeline_queries
from kehu.pipeline.models import Deal, Stage
from kehu.sales import lifecycle
from kehu.targets import periods
from kehu.targets import queries as target_queries
from kehu.targets.models import Target

PERIOD_KINDS = (periods.Kind.MONTH, periods.Kind.QUARTER, periods.Kind.YEAR)
TOP_OWNERS = 15  # bars of the overdue chart
ATTAINMENT_BARS = 20  # bars of the attainment chart
TREND_MONTHS = 12
VERSION = 1  # bump when the shape of the cached figures changes


def cache_seconds() -> int:
    return getattr(settings, "KEHU_DASHBOARD_CACHE_SECONDS", 300)


def previous_cache_seconds() -> int:
    return getattr(settings, "KEHU_DASHBOARD_PREVIOUS_CACHE_SECONDS", 3600)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date

    @classmethod
    def of(cls, kind: str, day: date) -> "Period":
        start = periods.start_of(kind, day)
        return cls(kind, start, periods.end(kind, start))

    @property
    def previous(self) -> "Period":
        start = periods.previous(self.kind, self.start)
        return Period(self.kind, start, periods.end(self.kind, start))

    @property
    def label(self) -> str:
        return periods.label(self.kind, self.start)

    @property
    def key(self) -> str:
        return periods.key(self.kind, self.start)


@dataclass(frozen=True)
class Scope:
    """Whose figures: `level` is "me", "team" or "company"; `figures` the lifecycle scope."""

    level: str
    figures: lifecycle.Scope

    @property
    def label(self) -> str:
        return self.figures.label

    @property
    def followups(self) -> str:
        """The scope of the follow-up and deal lists ("me" or "team") for the links."""
        return "me" if self.level == "me" else "team"


def scope_of(actor) -> Scope:
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return Scope("company", lifecycle.Scope())
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        return Scope("team", lifecycle.Scope(team=actor.team))
    return Scope("me", lifecycle.Scope(user=actor))


def _cache_key(actor, scope: Scope, period: Period, part: str) -> str:
    # the company's figures are the same for every director and admin; a team's or a
    # person's depend on who looks (their shared customers, their people)
    who = "company" if actor.sees_everything else f"u{actor.pk}"
    return f"kehu:dashboard:v{VERSION}:{who}:{scope.level}:{period.kind}:{period.start}:{part}"


KEEP_SECONDS = 24 * 3600


def _refresh_later(actor, kind: str, today: date) -> None:
    """One background recomputation of these figures at a time (the worker's job)."""
    from .tasks import refresh_dashboard

    if cache.add(f"kehu:dashboard:refreshing:{actor.pk}:{kind}:{today}", 1, 120):
        try:
            refresh_dashboard.enqueue(actor.pk, kind, today.isoformat())
        except Exception:  # noqa: BLE001 - the stale figures still serve; the next view retries
            cache.delete(f"kehu:dashboard:refreshing:{actor.pk}:{kind}:{today}")


def warm(actor, today: date | None = None) -> int:
    """Computes the figures of every period kind for the actor now (the nightly job does this
    for the company, so a director's first look in the morning is already warm)."""
    for kind in PERIOD_KINDS:
        figures(actor, kind, today, fresh=True)
    return len(PERIOD_KINDS)


def figures(actor, kind: str, today: date | None = None, *, fresh: bool = False) -> dict:
    """Everything the dashboard shows, from the cache when computed recently:
    {"scope", "period", "previous", "current": {...}, "before": {...}, "charts": {...},
    "as_of": datetime}."""
    today = today or timezone.localdate()
    scope = scope_of(actor)
    period = Period.of(kind, today)
    previous = period.previous
    current_key = _cache_key(actor, scope, period, f"now:{today}")
    previous_key = _cache_key(actor, scope, previous, f"before:{today}")
    now = None if fresh else cache.get(current_key)
    if now is not None and timezone.now() - now["as_of"] > timedelta(seconds=cache_seconds()):
        # stale: shown as it is (the page says when), recomputed in the background
        _refresh_later(actor, kind, today)
    if now is None:
        now = {
            "as_of": timezone.now(),
            "figures": period_figures(actor, scope, period, today),
            "charts": charts(actor, scope, period, today),
        }
        # kept for the day: after cache_seconds() a view of it asks for a fresh copy
        cache.set(current_key, now, KEEP_SECONDS)
    before = None if fresh else cache.get(previous_key)
    if before is None:
        before = period_figures(actor, scope, previous, today)
        cache.set(previous_key, before, previous_cache_seconds())
    return {
        "scope": scope,
        "period": period,
        "previous": previous,
        "today": today,
        "as_of": now["as_of"],
        "current": now["figures"],
        "before": before,
        "charts": now["charts"],
    }


# --- the figures of one period ------------------------------------------------------------
def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def won_deals(scope: Scope, period: Period) -> tuple[int, Decimal]:
    """(deals won, their amount): deals in a won stage closed in the period, credited to the
    deal's owner (a person) or team (a subtree), as targets count won amount."""
    low, high = _bounds(period.start, period.end)
    rows = Deal.objects.filter(stage__kind=Stage.Kind.WON, closed_at__gte=low, closed_at__lt=high)
    sc = scope.figures
    if sc.user:
        rows = rows.filter(owner_id=sc.user.pk)
    elif sc.team:
        rows = rows.filter(team_id__in=access.team_subtree_ids(sc.team))
    row = rows.aggregate(n=Count("pk"), amount=Sum("amount"))
    return row["n"], (row["amount"] or Decimal(0)).quantize(lifecycle.CENT)


def period_figures(actor, scope: Scope, period: Period, today: date) -> dict:
    """The KPIs of one period: each from the function that defines it."""
    sc, start, end = scope.figures, period.start, period.end
    money = lifecycle.money_figures(sc, start, end)
    buyers, again, active, churned = lifecycle.buyers_and_churn(sc, start, end, today)
    satisfaction = lifecycle.satisfaction(sc, start, end)
    won, won_amount = won_deals(scope, period)
    interactions = followup_queries.interaction_log(
        actor, scope.followups, since=start, until=end
    ).count()
    return {
        "new_customers": lifecycle.new_customers(sc, start, end),
        "won_amount": won_amount,
        "deals_won": won,
        "revenue": money["revenue"],
        "orders": money["orders"],
        "interactions": interactions,
        "repurchase_rate": lifecycle._pct(again, buyers),
        "repurchase_parts": (again, buyers),
        "churn_rate": lifecycle._pct(churned, active),
        "churn_parts": (churned, active),
        "csat": satisfaction["csat"],
        "csat_answers": satisfaction["csat_answers"],
    }


# --- the charts of the current period -----------------------------------------------------
def _scoped_customers(actor, scope: Scope):
    """The scope's customers among the actor's visible ones: the rows the customer list shows
    with owner=<rep> or team=<manager's team> (or no filter, for the company)."""
    rows = access.visible_customers(actor)
    if scope.figures.user:
        rows = rows.filter(owner_id=scope.figures.user.pk)
    elif scope.figures.team:
        rows = rows.filter(team_id__in=access.team_subtree_ids(scope.figures.team))
    return rows


def _start_of_today() -> datetime:
    # the customer list's "follow-up overdue": planned for a day before today
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _analytics_filters(scope: Scope, period: Period) -> analytics.Filters:
    sc = scope.figures
    return analytics.Filters(
        since=period.start,
        until=period.end,
        owner=sc.user.pk if sc.user else None,
        team=sc.team.pk if sc.team else None,
    )


def attainment(
    actor, scope: Scope, period: Period, today: date, limit: int | None = ATTAINMENT_BARS
) -> list[dict]:
    """The scope's own targets of the period, every metric: a rep's, a manager's team's and
    its people's, the company's and its top teams' for a director. The chart shows the first
    `limit`; the export all (limit=None)."""
    rows = target_queries.visible_targets(actor).filter(period=period.kind, start=period.start)
    sc = scope.figures
    if sc.user:
        rows = rows.filter(user_id=sc.user.pk)
    elif sc.team:
        subtree = access.team_subtree_ids(sc.team)
        rows = rows.filter(Q(team_id__in=subtree) | Q(user__team_id__in=subtree))
    else:
        rows = rows.filter(user__isnull=True, team__parent__parent__isnull=True)
    out = []
    labels = dict(Target.Metric.choices)
    for metric in Target.Metric.values:
        chosen = rows.filter(metric=metric).select_related("team", "user")
        for a in target_queries.attainment(
            sorted(chosen, key=lambda t: (t.user_id is not None, t.team_id is not None, t.pk)),
            metric,
            period.kind,
            period.start,
            today,
        ):
            out.append(
                {
                    "metric": metric,
                    "metric_label": str(labels[metric]),
                    "who": str(a.target.user or a.target.team or ""),
                    "percent": a.percent,
                    "actual": a.actual,
                    "amount": a.target.amount,
                    "behind": a.behind,
                }
            )
    return out[:limit]


def _satisfaction_trend(scope: Scope, today: date) -> list[dict]:
    month = date(today.year, today.month, 1)
    out = []
    for _i in range(TREND_MONTHS):
        end = periods.end(periods.Kind.MONTH, month)
        sat = lifecycle.satisfaction(scope.figures, month, end)
        out.append({"month": month, "csat": sat["csat"], "answers": sat["csat_answers"]})
        month = periods.previous(periods.Kind.MONTH, month)
    return out[::-1]


def overdue_by_owner(
    actor, scope: Scope, limit: int | None = TOP_OWNERS, customers=None
) -> list[dict]:
    """The scope's customers whose next follow-up is overdue, counted by owner, most first:
    the chart shows the first `limit` owners; the export all (limit=None). `customers`: the
    scope's (_scoped_customers), when the caller has them already."""
    if customers is None:
        customers = _scoped_customers(actor, scope)
    overdue = list(
        customers.filter(next_followup_at__lt=_start_of_today())
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "owner_id")[:limit]
    )
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["owner_id"] for r in overdue])}
    return [
        {"owner_id": r["owner_id"], "name": names.get(r["owner_id"], "—"), "n": r["n"]}
        for r in overdue
    ]


def charts(actor, scope: Scope, period: Period, today: date) -> dict:
    customers = _scoped_customers(actor, scope)
    tiers = {r["tier"]: r["n"] for r in customers.order_by().values("tier").annotate(n=Count("pk"))}
    stages = {
        r["stage_id"]: (r["n"], r["amount"] or Decimal(0))
        for r in pipeline_queries.deals(actor, scope.followups)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    }
    deals = analytics.deals(actor, _analytics_filters(scope, period))
    funnel = analytics.funnel(deals)
    channels = analytics.by_channel(deals)
    overdue_followups = followup_queries.plan_sheet(actor, scope.followups, "overdue").count()
    out = {
        "tiers": sorted(tiers.items(), key=lambda kv: (kv[0] == "", kv[0])),
        "overdue_by_owner": overdue_by_owner(actor, scope, TOP_OWNERS, customers),
        "overdue_followups": overdue_followups,
        "stages": [
            {"id": s.pk, "name": s.name, "n": stages[s.pk][0], "amount": stages[s.pk][1]}
            for s in Stage.objects.filter(active=True)
            if s.pk in stages
        ],
        "funnel": [{"id": f["stage"].pk, "name": f["stage"].name, "n": f["count"]} for f in funnel],
        "channels": [
            {
                "id": r["channel_id"],
                "name": r["channel__name"],
                "deals": r["deals"],
                "won": r["won"],
                "rate": r["rate"],
            }
            for r in channels
        ],
        "attainment": attainment(actor, scope, period, today, ATTAINMENT_BARS),
        "satisfaction": _satisfaction_trend(scope, today),
        "my_day": None,
    }
    if scope.level == "me" and not actor.is_read_only:
        out["my_day"] = followup_queries.my_day(actor, "me", today)["counts"]
    return out


def change(now, before) -> Decimal | None:
    """Period-on-period change in % (None when there is nothing to compare with)."""
    if now is None or before is None:
        return None
    now, before = Decimal(now), Decimal(before)
    if not before:
        return None
    return ((now - before) * 100 / abs(before)).quantize(Decimal("0.1"))
