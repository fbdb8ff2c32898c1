from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.core.forms import add_errors
from kehu.sheets import downloads

from . import exports, queries, services
from .forms import PlanForm, ReviewForm
from .models import AnnualPlan


def _year(request) -> int:
    value = request.GET.get("year", "")
    year = int(value) if value.isdigit() else timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def plans(request):
    year = _year(request)
    rows = [
        (plan, queries.progress(plan))
        for plan in queries.visible_plans(request.user, year).order_by("team__path", "user__name")
    ]
    rows.sort(key=lambda r: (r[0].user_id is not None, r[0].team_id is not None))
    if downloads.wanted(request):  # the list as shown: a row per plan, its targets' progress
        return exports.list_response(request, year, rows)
    teams, people = _plannable(request.user)
    return render(
        request,
        "planning/plans.html",
        {
            "year": year,
            "rows": rows,
            "teams": teams,
            "people": people,
            "can_plan_company": services.can_plan(request.user),
            "query": downloads.query_without_format(request),
        },
    )


def _plannable(actor):
    teams = [t for t in Team.objects.order_by("path") if services.can_plan(actor, team=t)]
    people = [
        u
        for u in User.objects.filter(is_active=True)
        .exclude(role=User.Role.VIEWER)
        .select_related("team")
        .order_by("name")
        if services.can_plan(actor, user=u)
    ]
    return teams, people


def plan_detail(request, pk):
    plan = queries.get_plan(request.user, pk)
    reviews = plan.reviews.select_related("author")
    if request.method != "POST" and downloads.wanted(request):  # every table the page shows
        progress, months = queries.progress(plan), queries.monthly(plan)
        return exports.plan_response(request, plan, progress, months, reviews)
    review_form = ReviewForm(request.POST or None)
    can_review = services.can_plan(request.user, plan.team, plan.user) or (
        plan.user_id == request.user.pk and not request.user.is_read_only
    )
    if request.method == "POST":
        if not can_review:
            raise Http404
        if review_form.is_valid():
            try:
                services.add_review(
                    request.user,
                    plan,
                    review_form.cleaned_data["quarter"],
                    review_form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_errors(review_form, exc)
            else:
                messages.success(request, _("Review note saved."))
                return redirect("planning:plan", pk=plan.pk)
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "progress": queries.progress(plan),
            "chart": queries.monthly_chart(plan),
            "reviews": reviews,
            "review_form": review_form,
            "can_review": can_review,
            "can_edit": services.can_plan(request.user, plan.team, plan.user),
            "query": downloads.query_without_format(request),
        },
    )


def plan_edit(request):
    """Creates or edits the plan of ?year= and ?team= or ?user= (neither: the company's)."""
    year = _year(request)
    team = user = None
    if (request.GET.get("team") or "").isdigit():
        team = get_object_or_404(Team, pk=int(request.GET["team"]))
    if (request.GET.get("user") or "").isdigit():
        user = get_object_or_404(User, pk=int(request.GET["user"]))
    if not services.can_plan(request.user, team, user):
        raise Http404
    plan = AnnualPlan.objects.filter(year=year, team=team, user=user).first()
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.save_plan(
                request.user,
                year,
                form.cleaned_data,
                team=team,
                user=user,
                version=int(request.POST.get("version") or 0) or None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("planning:plan", pk=plan.pk)
    scope = AnnualPlan(year=year, team=team, user=user).scope_label
    return render(
        request,
        "planning/plan_form.html",
        {"form": form, "plan": plan, "year": year, "scope_label": scope},
    )
