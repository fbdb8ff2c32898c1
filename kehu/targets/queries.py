"""Attainment of targets, live: actual, % of target, pace against the share of the period gone,
forecast, gap and a behind-pace flag, for every visible target of a metric and period in a
handful of queries (the actuals are one GROUP BY owner; teams add up their subtree's people)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from kehu.accounts import access
from kehu.accounts.models import Team, User

from . import metrics, periods
from .models import Target

BEHIND_AFTER = Decimal("0.1")  # no behind-pace flag in the first tenth of a period


def visible_targets(actor):
    """Directors and unteamed viewers: all. Managers and team viewers: the company's, their
    subtree's teams and people. Reps: the company's, their team's and their own."""
    rows = Target.objects.all()
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return rows
    company = Q(team__isnull=True, user__isnull=True)
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        subtree = access.team_subtree_ids(actor.team)
        return rows.filter(
            company | Q(team_id__in=subtree) | Q(user__team_id__in=subtree) | Q(user=actor)
        )
    mine = company | Q(user=actor)
    if actor.team_id:  # Q(team_id=None) would be every person's (team-less) row
        mine |= Q(team_id=actor.team_id)
    return rows.filter(mine)


def get_target(actor, pk) -> Target:
    target = visible_targets(actor).filter(pk=pk).select_related("team", "user", "parent").first()
    if target is None:
        raise Http404
    return target


@dataclass
class Attainment:
    target: Target
    actual: Decimal
    expected: Decimal  # where the actual should be by today, pro rata
    forecast: Decimal
    share: Decimal  # of the period gone

    @property
    def percent(self) -> Decimal | None:
        if not self.target.amount:
            return None
        return (self.actual * 100 / self.target.amount).quantize(Decimal("0.1"))

    @property
    def bar(self) -> int:
        return min(int(self.percent or 0), 100)

    @property
    def gap(self) -> Decimal:
        return max(self.target.amount - self.actual, Decimal(0))

    @property
    def forecast_gap(self) -> Decimal:
        return self.target.amount - self.forecast

    @property
    def pace(self) -> Decimal | None:
        """Actual against where it should be by now (1.0: on pace)."""
        if not self.expected:
            return None
        return (self.actual / self.expected).quantize(Decimal("0.01"))

    @property
    def behind(self) -> bool:
        return (
            self.share >= BEHIND_AFTER
            and self.share < 1
            and bool(self.target.amount)
            and self.actual < self.expected
        )


def _people_by_team() -> tuple[dict, dict]:
    """({team id: path}, {team id: [user ids of the team itself]})."""
    paths = dict(Team.objects.values_list("pk", "path"))
    members: dict[int, list] = {}
    for pk, team_id in User.objects.filter(team__isnull=False).values_list("pk", "team_id"):
        members.setdefault(team_id, []).append(pk)
    return paths, members


def attainment(
    targets, metric: str, kind: str, start: date, today: date | None = None
) -> list[Attainment]:
    """Attainment of `targets` (of one metric and period): the actuals of everyone at once."""
    today = today or timezone.localdate()
    end = periods.end(kind, start)
    targets = list(targets)
    if not targets:
        return []
    # only people's targets: only their actuals (My day reads one person's)
    owners = None
    if all(t.user_id for t in targets):
        owners = {t.user_id for t in targets}
    by_owner = metrics.actuals(metric, start, min(end, max(today, start)), owners)
    weighted = metrics.pipeline(end, owners) if metric == "won_amount" and start <= today else {}
    share = periods.elapsed_share(kind, start, today)
    paths, members = _people_by_team()
    out = []
    for target in targets:
        if target.user_id:
            owners = [target.user_id]
        elif target.team_id:
            path = paths[target.team_id]
            owners = [u for t, p in paths.items() if p.startswith(path) for u in members.get(t, ())]
        else:
            owners = None  # everyone
        if owners is None:
            actual = sum(by_owner.values(), Decimal(0))
            pipe = sum(weighted.values(), Decimal(0))
        else:
            actual = sum((by_owner.get(u, 0) for u in owners), Decimal(0))
            pipe = sum((weighted.get(u, 0) for u in owners), Decimal(0))
        expected = (target.amount * share).quantize(Decimal("0.01"))
        out.append(
            Attainment(
                target=target,
                actual=actual,
                expected=expected,
                forecast=metrics.forecast(metric, kind, start, actual, pipe, today),
                share=share,
            )
        )
    return out


def board(actor, metric: str, kind: str, start: date, today: date | None = None):
    """Every visible target of the metric and period, company first, then teams by their
    place in the tree, then people: attainment rows."""
    rows = (
        visible_targets(actor)
        .filter(metric=metric, period=kind, start=start)
        .select_related("team", "user", "user__team")
    )

    def order(t):
        if t.user_id:
            return (2, t.user.team.path if t.user.team_id else "", str(t.user))
        if t.team_id:
            return (1, t.team.path, "")
        return (0, "", "")

    return attainment(sorted(rows, key=order), metric, kind, start, today)


def leaderboard(actor, team: Team, metric: str, kind: str, start: date, today=None):
    """The people of a team's subtree with a target, by % of target (ties: actual)."""
    if team.pk not in set(access.visible_teams(actor).values_list("pk", flat=True)):
        raise Http404
    subtree = access.team_subtree_ids(team)
    rows = visible_targets(actor).filter(
        metric=metric, period=kind, start=start, user__team_id__in=subtree
    )
    out = attainment(rows.select_related("user"), metric, kind, start, today)
    return sorted(out, key=lambda a: (-(a.percent or 0), -a.actual, str(a.target.user)))


def mine(actor, today: date | None = None) -> list[Attainment]:
    """The actor's own targets of the periods under way (this month, quarter and year)."""
    today = today or timezone.localdate()
    starts = Q()
    for kind in periods.Kind.values:
        starts |= Q(period=kind, start=periods.start_of(kind, today))
    rows = list(Target.objects.filter(starts, user=actor).select_related("user"))
    order = {k: i for i, k in enumerate(periods.Kind.values)}
    rows.sort(key=lambda t: (order[t.period], t.metric))
    out = []
    for target in rows:
        out += attainment([target], target.metric, target.period, target.start, today)
    return out
