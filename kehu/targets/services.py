"""Writes of targets: set one, decompose it (company → teams → reps, year → quarters →
months), change one allocation by hand, lock and unlock. Every change is logged; after locking,
only with a reason."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.core.money import parse_amount

from . import allocate, metrics, periods
from .models import Target, TargetChange

SALESPEOPLE = (User.Role.REP, User.Role.MANAGER)


def can_manage(actor, target: Target | None = None, *, team=None, user=None) -> bool:
    """Directors set anything; managers the targets inside their team subtree (not the
    subtree's own top target, which their director gives them)."""
    if actor.is_read_only or not actor.is_authenticated:
        return False
    if actor.sees_everything:
        return True
    if not actor.is_manager or not actor.team_id:
        return False
    if target is not None:
        team, user = target.team, target.user
    subtree = set(access.team_subtree_ids(actor.team))
    if user is not None:
        return user.team_id in subtree
    return team is not None and team.pk in subtree and team.pk != actor.team_id


def can_decompose(actor, target: Target) -> bool:
    """Splitting a target: directors; managers for their own team's target and below."""
    if actor.is_read_only:
        return False
    if actor.sees_everything:
        return True
    if not actor.is_manager or not actor.team_id or target.user_id:
        return False
    return target.team_id in access.team_subtree_ids(actor.team)


def _amount(raw, step, field="amount") -> Decimal:
    """A target's amount as typed: money to the cent, or whole customers."""
    errors: dict = {}
    value = parse_amount(raw, field, errors)
    if value is not None and step == allocate.ONE and value != value.to_integral_value():
        errors[field] = [_("Enter a whole number.")]
    if errors:
        raise ValidationError(errors)
    return value


def _step(target: Target) -> Decimal:
    return allocate.ONE if target.whole_units else allocate.CENT


def _log(actor, target, before, after, reason=""):
    if before == after:
        return
    TargetChange.objects.create(
        target=target,
        before=before,
        after=after,
        reason=reason,
        while_locked=target.locked,
        by=actor,
    )


def _require_reason(target: Target, reason: str) -> None:
    if target.locked and not reason.strip():
        raise ValidationError({"reason": [_("This target is locked: say why it changes.")]})


@transaction.atomic
def set_target(
    actor, metric, kind, start, amount, *, team=None, user=None, reason="", version=None
) -> Target:
    """Creates or changes the target of one scope, metric and period."""
    access.require(can_manage(actor, team=team, user=user))
    if metric not in Target.Metric.values:
        raise ValidationError({"metric": [_("Choose a metric.")]})
    if kind not in periods.Kind.values:
        raise ValidationError({"period": [_("Choose a period.")]})
    start = periods.start_of(kind, start)
    step = allocate.ONE if metric == Target.Metric.NEW_CUSTOMERS else allocate.CENT
    value = _amount(amount, step)
    target = (
        Target.objects.select_for_update()
        .filter(metric=metric, period=kind, start=start, team=team, user=user)
        .order_by()
        .first()
    )
    if target is None:
        try:
            with transaction.atomic():
                target = Target.objects.create(
                    metric=metric,
                    period=kind,
                    start=start,
                    team=team,
                    user=user,
                    amount=value,
                    updated_by=actor,
                )
        except IntegrityError:
            raise ValidationError(
                _("Someone saved this target at the same time. Reload.")
            ) from None
        _log(actor, target, None, value, reason)
        return target
    return _change(actor, target, value, reason, version)


def _stale(version, target: Target) -> bool:
    """Whether the version a form carried is not the target's now (a version that is not a
    number, from a damaged or forged form, is never current)."""
    if version is None:
        return False
    try:
        return int(version) != target.version
    except (TypeError, ValueError):
        return True


def _change(actor, target: Target, value: Decimal, reason: str, version=None) -> Target:
    if _stale(version, target):
        raise ValidationError(
            _("Someone changed this target after you opened it. Reload it and try again.")
        )
    _require_reason(target, reason)
    if target.parent_id and value > target.parent.amount:
        raise ValidationError(
            {"amount": [_("More than its parent's %(parent)s.") % {"parent": target.parent.amount}]}
        )
    before = target.amount
    target.amount = value
    target.updated_by = actor
    target.version += 1
    target.save()
    _log(actor, target, before, value, reason)
    return target


def child_scopes(target: Target) -> list[tuple]:
    """The scopes a target splits into by scope: the company into the top teams; a team into
    its child teams and its own salespeople. (team, user) pairs."""
    if target.user_id:
        return []
    if target.team_id is None:
        return [(t, None) for t in Team.objects.filter(parent__isnull=True).order_by("path")]
    teams = [(t, None) for t in Team.objects.filter(parent_id=target.team_id).order_by("path")]
    people = User.objects.filter(team_id=target.team_id, is_active=True, role__in=SALESPEOPLE)
    return teams + [(None, u) for u in people.order_by("username")]


def _weights(target: Target, method: str, scopes: list, weights) -> list:
    if method == Target.Method.EQUAL:
        return [1] * len(scopes)
    if method == Target.Method.CAPACITY:
        if weights is not None:
            return [_amount(w, allocate.CENT, f"weight_{i}") for i, w in enumerate(weights)]
        out = []
        for team, user in scopes:
            if user is not None:
                out.append(user.capacity)
            else:
                ids = access.team_subtree_ids(team)
                members = User.objects.filter(team_id__in=ids, is_active=True, role__in=SALESPEOPLE)
                out.append(sum((u.capacity for u in members), Decimal(0)))
        return out
    if method == Target.Method.SHARE:
        prev = periods.previous(target.period, target.start)
        prev_end = periods.end(target.period, prev)
        by_owner = metrics.actuals(target.metric, prev, prev_end)
        out = []
        for team, user in scopes:
            if user is not None:
                out.append(by_owner.get(user.pk, 0))
            else:
                ids = set(access.team_subtree_ids(team))
                people = User.objects.filter(team_id__in=ids).values_list("pk", flat=True)
                out.append(sum((by_owner.get(pk, 0) for pk in people), Decimal(0)))
        return out
    raise ValidationError({"method": [_("Choose a method.")]})


@transaction.atomic
def decompose(
    actor, target: Target, axis: str, method: str, *, weights=None, amounts=None, reason=""
) -> list[Target]:
    """Splits `target` into its children along `axis` ("scope": teams and reps; "time":
    quarters or months) by `method`. Manual takes `amounts` that must add up to the parent;
    capacity may take explicit `weights`. Children that exist are updated (logged)."""
    target = Target.objects.select_for_update().get(pk=target.pk)
    access.require(can_decompose(actor, target))
    _require_reason(target, reason)
    if axis == "time":
        slots = [
            {"period": kind, "start": start, "team": target.team, "user": target.user}
            for kind, start in periods.children(target.period, target.start)
        ]
        scopes = [(target.team, target.user)] * len(slots)
        if method in (Target.Method.CAPACITY,):
            raise ValidationError({"method": [_("Capacity weights split among people.")]})
    elif axis == "scope":
        scopes = child_scopes(target)
        slots = [
            {"period": target.period, "start": target.start, "team": t, "user": u}
            for t, u in scopes
        ]
    else:
        raise ValidationError({"axis": [_("Choose how to split.")]})
    if not slots:
        raise ValidationError(_("There is nothing to split this target into."))
    step = _step(target)
    if method == Target.Method.MANUAL:
        if amounts is None or len(amounts) != len(slots):
            raise ValidationError({"amounts": [_("Enter an amount for each part.")]})
        values = [_amount(a, step, f"amount_{i}") for i, a in enumerate(amounts)]
        if sum(values) != target.amount:
            raise ValidationError(
                {
                    "amounts": [
                        _("The parts add up to %(sum)s, not %(total)s.")
                        % {"sum": sum(values), "total": target.amount}
                    ]
                }
            )
    else:
        if axis == "time" and method == Target.Method.SHARE:
            values = allocate.split(target.amount, _time_shares(target, slots), step)
        else:
            w = _weights(target, method, scopes, weights)
            values = allocate.split(target.amount, w, step)
    target.method = method
    target.save(update_fields=["method", "updated_at"])
    out = []
    for slot, value in zip(slots, values, strict=True):
        child = (
            Target.objects.select_for_update()
            .filter(metric=target.metric, **slot)
            .order_by()
            .first()
        )
        if child is None:
            child = Target.objects.create(
                metric=target.metric, parent=target, amount=value, updated_by=actor, **slot
            )
            _log(actor, child, None, value, reason)
        else:
            before = child.amount
            child.amount, child.parent, child.updated_by = value, target, actor
            child.version += 1
            child.save()
            _log(actor, child, before, value, reason)
        out.append(child)
    return out


def _time_shares(target: Target, slots: list) -> list:
    """Each quarter's or month's share of the same months a year earlier (the scope's)."""
    ids = None
    if target.user_id:
        ids = [target.user_id]
    elif target.team_id:
        subtree = access.team_subtree_ids(target.team)
        ids = list(User.objects.filter(team_id__in=subtree).values_list("pk", flat=True))
    out = []
    for slot in slots:
        start = slot["start"].replace(year=slot["start"].year - 1)
        end = periods.end(slot["period"], start)
        out.append(sum(metrics.actuals(target.metric, start, end, ids).values(), Decimal(0)))
    return out


@transaction.atomic
def set_allocation(actor, child: Target, amount, *, rebalance=True, reason="", version=None):
    """Changes one child by hand. With `rebalance` its siblings share what is left of the
    parent in proportion to their amounts; without, the change must fit what the siblings
    leave. Refused, naming the parent's amount, if it exceeds the parent."""
    # parent first, then the part: the order decompose() locks them in
    parent_id = Target.objects.filter(pk=child.pk).values_list("parent_id", flat=True).first()
    parent = Target.objects.select_for_update().get(pk=parent_id) if parent_id else None
    child = Target.objects.select_for_update().get(pk=child.pk)
    if parent is None:
        access.require(can_manage(actor, child))
        return _change(actor, child, _amount(amount, _step(child)), reason, version)
    access.require(can_decompose(actor, parent))
    if _stale(version, child):
        raise ValidationError(
            _("Someone changed this target after you opened it. Reload it and try again.")
        )
    _require_reason(parent, reason)
    step = _step(child)
    value = _amount(amount, step)
    # the parts along the same axis: a year's quarters, or its teams and people
    siblings = list(
        parent.children.select_for_update().filter(period=child.period).order_by("start", "id")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == child.pk)
    if not rebalance:
        others = sum(s.amount for s in siblings if s.pk != child.pk)
        if value + others > parent.amount:
            raise ValidationError(
                {
                    "amount": [
                        _("The parts would add up to %(sum)s, more than the parent's %(total)s.")
                        % {"sum": value + others, "total": parent.amount}
                    ]
                }
            )
        return _change(actor, child, value, reason)
    try:
        values = allocate.rebalance(parent.amount, [s.amount for s in siblings], index, value, step)
    except allocate.TooLarge:
        raise ValidationError(
            {"amount": [_("More than its parent's %(parent)s.") % {"parent": parent.amount}]}
        ) from None
    except ValueError:
        raise ValidationError(
            {"amount": [_("An only part is the whole of its parent: change the parent.")]}
        ) from None
    parent.method = Target.Method.MANUAL
    parent.save(update_fields=["method", "updated_at"])
    for sibling, new in zip(siblings, values, strict=True):
        if sibling.amount != new:
            before = sibling.amount
            sibling.amount, sibling.updated_by = new, actor
            sibling.version += 1
            sibling.save()
            _log(actor, sibling, before, new, reason)
    return Target.objects.get(pk=child.pk)


@transaction.atomic
def set_locked(actor, target: Target, locked: bool, reason="") -> Target:
    """Locks (or, with a reason, unlocks) a target and everything under it."""
    access.require(can_decompose(actor, target) or can_manage(actor, target))
    if not locked and not reason.strip():
        raise ValidationError({"reason": [_("Say why the target is unlocked.")]})
    ids = [target.pk]
    frontier = [target.pk]
    while frontier:
        frontier = list(Target.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    Target.objects.filter(pk__in=ids).update(locked=locked)
    TargetChange.objects.create(
        target=target,
        before=target.amount,
        after=target.amount,
        reason=reason or (_("Locked") if locked else _("Unlocked")),
        while_locked=True,
        by=actor,
    )
    target.refresh_from_db()
    return target


ALERT_EVERY_DAYS = 7


def alert_behind_pace(today=None) -> int:
    """Tells each rep behind pace on a target of a period under way, and their team's
    managers, at most once a week per target. Returns how many targets were flagged."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import override

    from kehu.followups.services import notify

    from . import queries

    today = today or timezone.localdate()
    flagged = 0
    paths = dict(Team.objects.values_list("pk", "path"))
    managers = list(
        User.objects.filter(role=User.Role.MANAGER, is_active=True, team__isnull=False).values_list(
            "pk", "team__path"
        )
    )

    def managers_of(team_id) -> list[int]:
        """The managers of the team and of every team above it."""
        path = paths.get(team_id)
        return [pk for pk, top in managers if path and path.startswith(top)]

    for kind in periods.Kind.values:
        start = periods.start_of(kind, today)
        for metric in Target.Metric.values:
            rows = Target.objects.filter(
                metric=metric, period=kind, start=start, user__isnull=False
            ).select_related("user")
            for row in queries.attainment(rows, metric, kind, start, today):
                target = row.target
                if not row.behind or (
                    target.alerted_on and (today - target.alerted_on).days < ALERT_EVERY_DAYS
                ):
                    continue
                user = target.user
                with override(user.language or "zh-hans"):
                    text = _(
                        "Behind pace on %(target)s: %(actual)s of %(amount)s, %(expected)s "
                        "expected by now."
                    ) % {
                        "target": target,
                        "actual": row.actual,
                        "amount": target.amount,
                        "expected": row.expected,
                    }
                url = reverse("targets:target", args=[target.pk])
                notify([user.pk, *managers_of(user.team_id)], text, url)
                Target.objects.filter(pk=target.pk).update(alerted_on=today)
                flagged += 1
    return flagged
