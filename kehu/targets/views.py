"""Targets pages: the attainment board of a metric and period, one target with its parts
(decompose, edit a part, lock), the leaderboard of a team, and setting a target."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.sheets import downloads

from . import exports, periods, queries, services
from .models import Target


def _period(request) -> tuple[str, str, object]:
    metric = request.GET.get("metric", "")
    metric = metric if metric in Target.Metric.values else Target.Metric.WON_AMOUNT
    kind = request.GET.get("period", "")
    kind = kind if kind in periods.Kind.values else periods.Kind.QUARTER
    start = periods.parse(kind, request.GET.get("at", ""), timezone.localdate())
    return metric, kind, start


def _query(metric, kind, start) -> str:
    return f"?metric={metric}&period={kind}&at={periods.key(kind, start)}"


def _settable(actor):
    """Scopes the actor may set a target for: (can do the company, teams, people)."""
    teams = [t for t in Team.objects.order_by("path") if services.can_manage(actor, team=t)]
    people = [
        u
        for u in User.objects.filter(is_active=True, role__in=services.SALESPEOPLE)
        .select_related("team")
        .order_by("username")
        if services.can_manage(actor, user=u)
    ]
    return services.can_manage(actor), teams, people


def board(request):
    metric, kind, start = _period(request)
    rows = queries.board(request.user, metric, kind, start)
    if downloads.wanted(request):  # the board as shown, for the metric and period asked
        return downloads.respond(
            request,
            exports.title(_("Targets"), Target.Metric(metric).label, periods.label(kind, start)),
            exports.board_columns(metric),
            exports.board_rows(rows),
        )
    company, teams, people = _settable(request.user)
    # the versions of the targets on the page: setting one that changed (or appeared) since
    # is refused instead of silently overwriting someone else's figure
    seen = ",".join(
        f"{_scope_key(a.target.team_id, a.target.user_id)}:{a.target.version}" for a in rows
    )
    return render(
        request,
        "targets/board.html",
        {
            "rows": rows,
            "metric": metric,
            "kind": kind,
            "start": start,
            "label": periods.label(kind, start),
            "at": periods.key(kind, start),
            "earlier": periods.key(kind, periods.previous(kind, start)),
            "later": periods.key(kind, periods.end(kind, start) + timedelta(days=1)),
            "metrics": Target.Metric.choices,
            "kinds": periods.Kind.choices,
            "definition": queries.metrics.DEFINITIONS[metric],
            "forecast_definition": queries.metrics.FORECAST_DEFINITIONS[metric],
            "can_company": company,
            "teams": teams,
            "people": people,
            "leader_teams": access.visible_teams(request.user).order_by("path"),
            "seen": seen,
            "query": downloads.query_without_format(request),
        },
    )


def _scope_key(team_id, user_id) -> str:
    return f"u{user_id}" if user_id else f"t{team_id}" if team_id else "c"


def _seen_version(data, team, user) -> int | None:
    """The version of the scope's target when the board was shown (0: it had none), or None
    when the form did not say (then the change is not checked)."""
    if "seen" not in data:
        return None
    seen = dict(part.split(":", 1) for part in data["seen"].split(",") if ":" in part)
    try:
        return int(seen.get(_scope_key(team and team.pk, user and user.pk), 0))
    except ValueError:
        return 0


def _pk(value: str) -> int:
    """An id from a form; anything else is no such thing (404)."""
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


@require_POST
def set_target(request):
    metric, kind, start = _period(request)
    data = request.POST
    team = user = None
    if data.get("user"):
        user = User.objects.filter(pk=_pk(data["user"])).first()
        if user is None:
            raise Http404
    elif data.get("team"):
        team = Team.objects.filter(pk=_pk(data["team"])).first()
        if team is None:
            raise Http404
    if not services.can_manage(request.user, team=team, user=user):
        raise Http404
    try:
        target = services.set_target(
            request.user,
            data.get("metric", metric),
            data.get("period", kind),
            periods.parse(data.get("period", kind), data.get("at", ""), start),
            data.get("amount", ""),
            team=team,
            user=user,
            reason=data.get("reason", ""),
            version=_seen_version(data, team, user),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(reverse("targets:board") + _query(metric, kind, start))
    messages.success(request, _("Target saved."))
    return redirect("targets:target", pk=target.pk)


def target_detail(request, pk):
    target = queries.get_target(request.user, pk)
    today = timezone.localdate()
    (row,) = queries.attainment([target], target.metric, target.period, target.start, today)
    children = list(
        queries.visible_targets(request.user)
        .filter(parent=target)
        .select_related("team", "user")
        .order_by("start", "id")
    )
    # its teams and people (same period), and its quarters or months (each its own period)
    by_scope = [c for c in children if c.period == target.period]
    scope_parts = queries.attainment(by_scope, target.metric, target.period, target.start, today)
    time_parts = [
        queries.attainment([c], c.metric, c.period, c.start, today)[0]
        for c in children
        if c.period != target.period
    ]
    can_split = services.can_decompose(request.user, target)
    scopes = services.child_scopes(target) if can_split else []
    return render(
        request,
        "targets/target.html",
        {
            "target": target,
            "row": row,
            "parts": [p for p in (scope_parts, time_parts) if p],
            "can_split": can_split,
            "can_edit": services.can_manage(request.user, target)
            or (target.parent and services.can_decompose(request.user, target.parent)),
            "scopes": scopes,
            "time_parts": [
                periods.label(k, s) for k, s in periods.children(target.period, target.start)
            ],
            "methods": Target.Method.choices,
            "changes": target.changes.select_related("by")[:50],
            "definition": queries.metrics.DEFINITIONS[target.metric],
            "forecast_definition": queries.metrics.FORECAST_DEFINITIONS[target.metric],
            "back": reverse("targets:board") + _query(target.metric, target.period, target.start),
        },
    )


def _errors(request, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    else:
        for error in exc.messages:
            messages.error(request, error)


@require_POST
def decompose(request, pk):
    target = queries.get_target(request.user, pk)
    if not services.can_decompose(request.user, target):
        raise Http404
    data = request.POST
    axis, method = data.get("axis", "scope"), data.get("method", "")
    size = (
        len(services.child_scopes(target))
        if axis == "scope"
        else len(periods.children(target.period, target.start))
    )
    weights = amounts = None
    if method == Target.Method.CAPACITY and any(data.get(f"weight_{i}") for i in range(size)):
        weights = [data.get(f"weight_{i}") or "0" for i in range(size)]
    if method == Target.Method.MANUAL:
        amounts = [data.get(f"amount_{i}", "") or "0" for i in range(size)]
    try:
        services.decompose(
            request.user,
            target,
            axis,
            method,
            weights=weights,
            amounts=amounts,
            reason=data.get("reason", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Target split."))
    return redirect("targets:target", pk=pk)


@require_POST
def edit_part(request, pk):
    child = queries.get_target(request.user, pk)
    data = request.POST
    try:
        services.set_allocation(
            request.user,
            child,
            data.get("amount", ""),
            rebalance=data.get("rebalance") == "on",
            reason=data.get("reason", ""),
            version=data.get("version") or None,
        )
    except access.AccessDenied:
        raise Http404 from None
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Target saved."))
    return redirect("targets:target", pk=child.parent_id or child.pk)


@require_POST
def lock(request, pk):
    target = queries.get_target(request.user, pk)
    locked = request.POST.get("locked") == "1"
    try:
        services.set_locked(request.user, target, locked, request.POST.get("reason", ""))
    except access.AccessDenied:
        raise Http404 from None
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Target locked.") if locked else _("Target unlocked."))
    return redirect("targets:target", pk=pk)


def leaderboard(request):
    metric, kind, start = _period(request)
    teams = access.visible_teams(request.user).order_by("path")
    team = (
        teams.filter(pk=request.GET.get("team") or 0).first()
        if request.GET.get("team", "").isdigit()
        else None
    )
    team = team or (request.user.team if request.user.team_id else teams.first())
    rows = queries.leaderboard(request.user, team, metric, kind, start) if team else []
    if downloads.wanted(request):  # the ranking as shown, for the team, metric and period asked
        return downloads.respond(
            request,
            exports.title(
                _("Leaderboard"),
                team,
                Target.Metric(metric).label,
                periods.label(kind, start),
            ),
            exports.leaderboard_columns(metric),
            exports.leaderboard_rows(rows),
        )
    return render(
        request,
        "targets/leaderboard.html",
        {
            "rows": rows,
            "team": team,
            "teams": teams,
            "metric": metric,
            "kind": kind,
            "at": periods.key(kind, start),
            "label": periods.label(kind, start),
            "metrics": Target.Metric.choices,
            "kinds": periods.Kind.choices,
            "query": downloads.query_without_format(request),
        },
    )
