"""The read side of incentives: plans someone may see, the payout report of a plan and period,
and a rep's period review beside their team's average. Set-based: the figures of everyone in
scope come from one GROUP BY each, however many people there are."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.followups.models import FollowUp, Interaction, Method
from kehu.pipeline.models import Deal, Stage
from kehu.targets import metrics, periods
from kehu.targets.models import Target

from . import commission
from .models import CommissionPlan

ZERO = Decimal(0)
SALES_ROLES = (User.Role.REP, User.Role.MANAGER)


def _ancestor_ids(team: Team | None) -> list[int]:
    """The team and the teams above it, from its path ("/1/4/7/")."""
    if team is None:
        return []
    return [int(part) for part in team.path.strip("/").split("/") if part]


def visible_plans(actor):
    """Directors, admins and unteamed viewers: every plan. Others: the plans for everybody,
    for their own team or one above it, and (managers, team viewers) for teams below."""
    plans = CommissionPlan.objects.select_related("team")
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return plans
    scope = Q(team__isnull=True) | Q(team_id__in=_ancestor_ids(actor.team))
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        scope |= Q(team_id__in=access.team_subtree_ids(actor.team))
    return plans.filter(scope)


def get_plan(actor, pk) -> CommissionPlan:
    try:
        return visible_plans(actor).prefetch_related("bands").get(pk=pk)
    except (CommissionPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- payout ---------------------------------------------------------------------------------
@dataclass
class PayoutRow:
    user: User
    target: Decimal | None
    actual: Decimal
    result: commission.Payout

    @property
    def amount(self) -> Decimal:
        return self.result.amount


@dataclass
class PayoutReport:
    plan: CommissionPlan
    kind: str
    start: date
    end: date
    rows: list[PayoutRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return periods.label(self.kind, self.start)

    @property
    def total_target(self) -> Decimal:
        return sum((r.target for r in self.rows if r.target is not None), ZERO)

    @property
    def total_actual(self) -> Decimal:
        return sum((r.actual for r in self.rows), ZERO)

    @property
    def total_payout(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)

    @property
    def attainment(self) -> Decimal | None:
        targeted = [r for r in self.rows if r.target]
        if not targeted:
            return None
        actual = sum((r.actual for r in targeted), ZERO)
        return (actual * 100 / self.total_target).quantize(Decimal("0.1"), ROUND_HALF_UP)


def payees(actor, plan: CommissionPlan, kind: str, start: date):
    """The people a payout report lists: those the actor may see (reps: themselves), in the
    plan's team subtree (if it has one), who sell (reps and managers) or have a target of the
    plan's metric for the period."""
    people = access.visible_users(actor).exclude(role=User.Role.VIEWER)
    if plan.team_id:
        people = people.filter(team_id__in=access.team_subtree_ids(plan.team))
    targeted = Target.objects.filter(
        metric=plan.metric, period=kind, start=start, user__isnull=False
    ).values("user_id")
    return people.filter(Q(role__in=SALES_ROLES) | Q(pk__in=targeted))


def payout(actor, plan: CommissionPlan, start: date) -> PayoutReport:
    """One row per person (see payees) with their target, actual, attainment, band, rate and
    payout. A handful of queries whatever the head count: the people, their targets, and
    the actuals of all of them in one GROUP BY."""
    kind = plan.period
    start = periods.start_of(kind, start)
    end = periods.end(kind, start)
    people = list(
        payees(actor, plan, kind, start).select_related("team").order_by("team__path", "name")
    )
    ids = [p.pk for p in people]
    targets = dict(
        Target.objects.filter(
            metric=plan.metric, period=kind, start=start, user_id__in=ids
        ).values_list("user_id", "amount")
    )
    actual = metrics.actuals(plan.metric, start, end, owner_ids=ids) if ids else {}
    terms = plan.terms()
    report = PayoutReport(plan=plan, kind=kind, start=start, end=end)
    for person in people:
        got = actual.get(person.pk, ZERO)
        target = targets.get(person.pk)
        report.rows.append(
            PayoutRow(
                user=person,
                target=target,
                actual=got,
                result=commission.commission(got, target or ZERO, terms),
            )
        )
    return report


# --- period review --------------------------------------------------------------------------
@dataclass
class Figure:
    """One line of the review: the rep's value beside the team's average per person."""

    key: str
    label: str
    mine: Decimal | None
    team: Decimal | None
    unit: str = ""  # "CNY", "%" or "" (a count)


@dataclass
class Review:
    user: User
    kind: str
    start: date
    end: date
    team: Team | None
    headcount: int  # people the team average is over
    attainment: list = field(default_factory=list)  # [(metric label, mine: Figure-like dict)]
    methods: list[Figure] = field(default_factory=list)
    deals: list[Figure] = field(default_factory=list)
    overdue: Figure | None = None

    @property
    def label(self) -> str:
        return periods.label(self.kind, self.start)


def get_reviewable(actor, pk) -> User:
    """A person whose review the actor may open (themself; managers their subtree; directors
    everybody); anyone else is a 404, so a guessed id tells nothing."""
    try:
        return access.visible_users(actor).select_related("team").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware times in the current zone: its first and last instants."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.max), zone),
    )


def _team_members(user: User) -> list[int]:
    """The salespeople of the user's team subtree (the user included), or just the user."""
    if not user.team_id:
        return [user.pk]
    ids = list(
        User.objects.filter(
            is_active=True,
            team_id__in=access.team_subtree_ids(user.team),
            role__in=SALES_ROLES,
        ).values_list("pk", flat=True)
    )
    return sorted(set(ids) | {user.pk})


def _average(values: dict, members: list[int]) -> Decimal:
    total = sum((Decimal(values.get(m, 0)) for m in members), ZERO)
    return (total / len(members)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def review(actor, user: User, kind: str, start: date, today: date | None = None) -> Review:
    """The rep's period: attainment of each metric they have a target for, interactions by
    method, deals created / won / lost and the conversion (won ÷ closed), follow-ups overdue
    now — beside the average per person of their team subtree. Each figure is one query
    grouped by person, whatever the team's size."""
    user = get_reviewable(actor, user.pk)
    today = today or timezone.localdate()
    start = periods.start_of(kind, start)
    end = periods.end(kind, start)
    low, high = _bounds(start, end)
    members = _team_members(user)
    out = Review(
        user=user,
        kind=kind,
        start=start,
        end=end,
        team=user.team,
        headcount=len(members),
    )

    # attainment: the rep's targets; the team's is its members' targets and actuals summed
    targets: dict[str, dict[int, Decimal]] = {}
    for metric, owner, amount in Target.objects.filter(
        period=kind, start=start, user_id__in=members
    ).values_list("metric", "user_id", "amount"):
        targets.setdefault(metric, {})[owner] = amount
    labels = dict(Target.Metric.choices)
    for metric in Target.Metric.values:
        if user.pk not in targets.get(metric, {}):
            continue
        got = metrics.actuals(metric, start, end, owner_ids=members)
        own_target = targets[metric][user.pk]
        team_targets = targets[metric]
        team_actual = sum((got.get(m, ZERO) for m in team_targets), ZERO)
        out.attainment.append(
            {
                "metric": metric,
                "label": labels[metric],
                "money": metric != Target.Metric.NEW_CUSTOMERS,
                "target": own_target,
                "actual": got.get(user.pk, ZERO),
                "percent": _percent(got.get(user.pk, ZERO), own_target),
                "team_target": _average(team_targets, list(team_targets)),
                "team_actual": _average(got, members),
                "team_percent": _percent(team_actual, sum(team_targets.values(), ZERO)),
            }
        )

    # interactions by method in the period
    counts: dict[str, dict[int, int]] = {}
    for row in (
        Interaction.objects.filter(user_id__in=members, at__gte=low, at__lte=high)
        .values("user_id", "method")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(row["method"], {})[row["user_id"]] = row["n"]
    total: dict[int, int] = {}
    for method, label in Method.choices:
        by_person = counts.get(method, {})
        for who, n in by_person.items():
            total[who] = total.get(who, 0) + n
        if by_person:
            out.methods.append(
                Figure(
                    method, label, Decimal(by_person.get(user.pk, 0)), _average(by_person, members)
                )
            )
    out.methods.append(
        Figure(
            "total",
            _("interactions in all"),
            Decimal(total.get(user.pk, 0)),
            _average(total, members),
        )
    )

    # deals: created in the period, and closed (won / lost) in it
    created = dict(
        Deal.objects.filter(owner_id__in=members, created_at__gte=low, created_at__lte=high)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("owner_id", "n")
    )
    won: dict[int, int] = {}
    lost: dict[int, int] = {}
    won_amount: dict[int, Decimal] = {}
    for row in (
        Deal.objects.filter(
            owner_id__in=members,
            closed_at__gte=low,
            closed_at__lte=high,
            stage__kind__in=(Stage.Kind.WON, Stage.Kind.LOST),
        )
        .values("owner_id", kind_=F("stage__kind"))
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    ):
        if row["kind_"] == Stage.Kind.WON:
            won[row["owner_id"]] = row["n"]
            won_amount[row["owner_id"]] = row["amount"] or ZERO
        else:
            lost[row["owner_id"]] = row["n"]
    team_won, team_lost = sum(won.values()), sum(lost.values())
    mine_won, mine_lost = won.get(user.pk, 0), lost.get(user.pk, 0)
    out.deals = [
        Figure(
            "created",
            _("deals created"),
            Decimal(created.get(user.pk, 0)),
            _average(created, members),
        ),
        Figure("won", _("deals won"), Decimal(mine_won), _average(won, members)),
        Figure(
            "won_amount",
            _("amount won"),
            won_amount.get(user.pk, ZERO),
            _average(won_amount, members),
            "CNY",
        ),
        Figure("lost", _("deals lost"), Decimal(mine_lost), _average(lost, members)),
        # the team's conversion is over all its closed deals, not an average of rates
        Figure(
            "conversion",
            _("conversion (won ÷ closed)"),
            _percent(mine_won, mine_won + mine_lost),
            _percent(team_won, team_won + team_lost),
            "%",
        ),
    ]

    # follow-ups overdue now (whatever the period: the state of things today)
    overdue = dict(
        FollowUp.objects.filter(owner_id__in=members, status__in=FollowUp.OPEN, due_on__lt=today)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("owner_id", "n")
    )
    out.overdue = Figure(
        "overdue",
        _("follow-ups overdue now"),
        Decimal(overdue.get(user.pk, 0)),
        _average(overdue, members),
    )
    return out
