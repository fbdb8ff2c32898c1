from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core.forms import add_errors
from kehu.sheets import downloads

from . import exports, services
from .forms import RepForm, RuleForm
from .models import AssignmentRule

PREVIEW_ROWS = 200
LIST_LIMIT = 200


def _teams(request):
    teams = list(services.managed_teams(request.user))
    if not teams:  # reps and viewers: the page does not exist for them
        raise Http404
    return teams


def _page(request, team, rule_form=None, rep_forms=None, status=200):
    teams = _teams(request)
    plan = services.preview(request.user, team)
    rule = plan.rule
    editable = set(
        services.manageable_users(request.user)
        .filter(pk__in=[r.pk for r in plan.reps])
        .values_list("pk", flat=True)
    )
    rep_forms = rep_forms or {}
    reps = [
        (
            rep,
            plan.counts.get(rep.pk, 0),
            rep_forms.get(rep.pk)
            or RepForm(
                prefix=f"rep{rep.pk}",
                initial={
                    "seniority": rep.seniority,
                    "capacity": rep.capacity,
                    "customer_limit": rep.customer_limit,
                },
            ),
            rep.pk in editable,
        )
        for rep in plan.reps
    ]
    return render(
        request,
        "assignment/rules.html",
        {
            "teams": teams,
            "team": team,
            "rule": rule,
            "form": rule_form or RuleForm(rule=rule),
            "reps": reps,
            "plan": plan,
            "rows": plan.rows[:PREVIEW_ROWS],
            "more": max(len(plan.rows) - PREVIEW_ROWS, 0),
        },
        status=status,
    )


def rules(request):
    teams = _teams(request)
    wanted = request.GET.get("team", "")
    if wanted:
        team = services.get_team(request.user, wanted)
    else:  # a manager starts at their own team, a director at the top
        team = next((t for t in teams if t.pk == request.user.team_id), teams[0])
    return _page(request, team)


def _back(team):
    return redirect(f"{reverse('assignment:rules')}?team={team.pk}")


@require_POST
def save_rule(request, team_pk):
    team = services.get_team(request.user, team_pk)
    form = RuleForm(request.POST, rule=services.rule_for(team))
    if form.is_valid():
        try:
            services.save_rule(
                request.user,
                team,
                form.cleaned_data,
                form.tiers(),
                version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            # a stale form is the form's problem, not its hidden version field's
            errors = exc.message_dict
            stale = errors.pop("version", [])
            if stale:
                form.add_error(None, stale)
            if errors:
                add_errors(form, ValidationError(errors))
        except access.AccessDenied as exc:
            messages.error(request, str(exc))
            return _back(team)
        else:
            messages.success(request, _("Assignment rule saved."))
            return _back(team)
    return _page(request, team, rule_form=form, status=400)


@require_POST
def save_rep(request, team_pk, user_pk):
    team = services.get_team(request.user, team_pk)
    user = services.manageable_users(request.user).filter(pk=user_pk).first()
    if user is None:
        raise Http404
    form = RepForm(request.POST, prefix=f"rep{user.pk}")
    if form.is_valid():
        try:
            services.set_rep_profile(request.user, user, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": user})
            return _back(team)
    return _page(request, team, rep_forms={user.pk: form}, status=400)


@require_POST
def run_now(request, team_pk):
    team = services.get_team(request.user, team_pk)
    if not AssignmentRule.objects.filter(team=team).exists():
        messages.error(request, _("Save the team's rule first."))
        return _back(team)
    try:
        result = services.run(request.user, team)
    except (access.AccessDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _back(team)
    text = ngettext("%(n)s lead assigned.", "%(n)s leads assigned.", result.assigned) % {
        "n": result.assigned
    }
    if result.unassigned:
        text += " " + ngettext(
            "%(n)s could not be assigned: see the unassigned leads.",
            "%(n)s could not be assigned: see the unassigned leads.",
            result.unassigned,
        ) % {"n": result.unassigned}
    messages.success(request, text)
    return _back(team)


def unassigned(request):
    if not services.can_manage(request.user):
        raise Http404
    leads = services.unassigned_list(request.user)
    if downloads.wanted(request):  # every waiting lead, not only the first LIST_LIMIT
        return downloads.respond(
            request,
            _("Unassigned leads"),
            exports.unassigned_columns(),
            exports.unassigned_rows(leads),
        )
    total = leads.count()
    rows = [(lead, services.why_unassigned(lead)) for lead in leads[:LIST_LIMIT]]
    return render(
        request,
        "assignment/unassigned.html",
        {
            "rows": rows,
            "total": total,
            "limit": LIST_LIMIT,
            "user_roles": User.Role,
            "query": downloads.query_without_format(request),
        },
    )
