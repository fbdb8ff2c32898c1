"""Flow analytics: where deals convert and where they leak. Every figure is an aggregate in the
database over the actor's visible deals (filtered); Python only arranges a handful of rows."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.customers.models import Channel
from kehu.followups.models import Interaction

from .models import Deal, Stage, StageChange


@dataclass
class Filters:
    since: date | None = None
    until: date | None = None
    team: int | None = None
    owner: int | None = None
    channel: int | None = None
    tier: str = ""


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def deals(actor, f: Filters):
    """The deals the figures count: visible to the actor, created in the period, and matching
    the team (subtree), owner, channel and customer tier."""
    rows = access.visible(actor, Deal)
    if f.since:
        rows = rows.filter(created_at__gte=_start(f.since))
    if f.until:
        rows = rows.filter(created_at__lt=_start(f.until + timedelta(days=1)))
    if f.team:
        team = access.visible_teams(actor).filter(pk=f.team).first()
        rows = rows.filter(team_id__in=access.team_subtree_ids(team)) if team else rows.none()
    if f.owner:
        rows = rows.filter(owner_id=f.owner)
    if f.channel:
        rows = rows.filter(channel_id=f.channel)
    if f.tier:
        rows = rows.filter(customer__tier=f.tier)
    return rows


def funnel(rows) -> list[dict]:
    """Deals that reached each stage (open stages, then won) by count and amount, and the
    conversion from the stage before. A deal counts in every stage up to the furthest it has
    reached (kept on the deal as it moves: one GROUP BY here)."""
    stages = list(Stage.objects.filter(kind__in=[Stage.Kind.OPEN, Stage.Kind.WON], active=True))
    per_top = {
        r["furthest"]: (r["n"], r["amount"] or 0)
        for r in rows.order_by().values("furthest").annotate(n=Count("pk"), amount=Sum("amount"))
    }
    out, previous = [], None
    for stage in stages:
        reached = [v for top, v in per_top.items() if top >= stage.position]
        count = sum(n for n, _ in reached)
        amount = sum(float(a) for _, a in reached)
        out.append(
            {
                "stage": stage,
                "count": count,
                "amount": amount,
                "conversion": None if previous in (None, 0) else count / previous,
            }
        )
        previous = count
    return out


def _kind_ids(kind) -> list[int]:
    return list(Stage.objects.filter(kind=kind).values_list("pk", flat=True))


def by_channel(rows) -> list[dict]:
    """From lead to won by source channel (grouped by id, named after: no joins)."""
    won = _kind_ids(Stage.Kind.WON)
    result = (
        rows.order_by()
        .values("channel_id")
        .annotate(
            deals=Count("pk"),
            won=Count("pk", filter=Q(stage_id__in=won)),
            amount=Sum("amount", filter=Q(stage_id__in=won)),
        )
    )
    names = dict(Channel.objects.values_list("pk", "name"))
    out = [
        {**r, "channel__name": names.get(r["channel_id"]), "rate": r["won"] / r["deals"]}
        for r in result
    ]
    return sorted(out, key=lambda r: -r["deals"])


def by_owner(rows, field: str = "owner") -> list[dict]:
    """Win rate (won of closed) and average won deal, by owner or by team."""
    won, lost = _kind_ids(Stage.Kind.WON), _kind_ids(Stage.Kind.LOST)
    key = f"{field}_id"
    result = (
        rows.order_by()
        .values(key)
        .annotate(
            deals=Count("pk"),
            won=Count("pk", filter=Q(stage_id__in=won)),
            lost=Count("pk", filter=Q(stage_id__in=lost)),
            average=Avg("amount", filter=Q(stage_id__in=won)),
        )
    )
    model = User if field == "owner" else Team
    names = {o.pk: str(o) for o in model.objects.filter(pk__in=[r[key] for r in result])}
    out = [
        {
            **r,
            "name": names.get(r[key]),
            "rate": r["won"] / (r["won"] + r["lost"]) if r["won"] + r["lost"] else None,
        }
        for r in result
    ]
    return sorted(out, key=lambda r: (-r["won"], -r["deals"]))


def _days(later: str, earlier: str) -> str:
    if connection.vendor == "sqlite":
        return f"(julianday({later}) - julianday({earlier}))"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


def cycle_days(rows) -> float | None:
    """Average days from creation to winning, over won deals."""
    try:
        sql, params = (
            rows.filter(stage__kind=Stage.Kind.WON, closed_at__isnull=False)
            .values("created_at", "closed_at")
            .query.sql_with_params()
        )
    except EmptyResultSet:  # no deals at all (a team the actor may not open)
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT AVG({_days('w.closed_at', 'w.created_at')}) FROM ({sql}) w", params)
        value = cursor.fetchone()[0]
    return None if value is None else float(value)


def time_in_stage(rows) -> list[dict]:
    """Average days deals spent in each stage, over stays that have ended (each stay's length
    is kept on the stage history when the deal moves on)."""
    history = StageChange.objects.filter(days__isnull=False)
    if rows.query.where:  # filtered (or not everyone's): only these deals' stays
        history = history.filter(deal__in=rows.values("pk"))
    stays = {
        r["to_stage_id"]: r
        for r in history.values("to_stage_id")
        .annotate(n=Count("pk"), average=Avg("days"))
        .order_by()
    }
    return [
        {"stage": stage, "stays": stays[stage.pk]["n"], "days": float(stays[stage.pk]["average"])}
        for stage in Stage.objects.filter(pk__in=stays)
    ]


def methods_by_outcome(rows) -> list[dict]:
    """Which follow-up methods went with won and with lost deals: the interactions with the
    deal's customer while the deal was open."""
    closed = rows.filter(stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST])
    try:
        sql, params = (
            closed.annotate(kind=F("stage__kind"))
            .values("customer_id", "created_at", "closed_at", "kind")
            .query.sql_with_params()
        )
    except EmptyResultSet:  # no deals at all (a team the actor may not open)
        return []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.method, d.kind, COUNT(*) FROM {q(Interaction._meta.db_table)} i "
            f"JOIN ({sql}) d "
            f"ON i.customer_id = d.customer_id AND i.at >= d.created_at AND i.at <= d.closed_at "
            f"GROUP BY i.method, d.kind",
            params,
        )
        counts = cursor.fetchall()
    table: dict[str, dict] = {}
    for method, kind, n in counts:
        table.setdefault(method, {"method": method, "won": 0, "lost": 0})[kind] = n
    return sorted(table.values(), key=lambda r: -(r["won"] + r["lost"]))


def lost_reasons(rows, limit: int = 10) -> list[dict]:
    return list(
        rows.filter(stage__kind=Stage.Kind.LOST)
        .values("lost_reason")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("-n")[:limit]
    )
