from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core.forms import add_errors
from kehu.sheets import downloads
from kehu.targets import periods

from . import commission, exports, queries, services
from .forms import PlanForm, bands_from, bands_of


def _period(request, kind: str):
    """?period= (2026-Q2, 2026-04, 2026) as the kind's start; the current period otherwise."""
    return periods.parse(kind, request.GET.get("period", ""), timezone.localdate())


def _neighbours(kind: str, start) -> tuple[str, str]:
    after = periods.end(kind, start) + timedelta(days=1)
    return periods.key(kind, periods.previous(kind, start)), periods.key(kind, after)


def plans(request):
    rows = [
        (plan, commission.examples(plan.terms()))
        for plan in queries.visible_plans(request.user).prefetch_related("bands")
    ]
    if downloads.wanted(request):
        return downloads.respond_book(
            request,
            _("Commission plans"),
            exports.plans_book(rows, commission.EXAMPLE_TARGET),
        )
    return render(
        request,
        "incentives/plans.html",
        {
            "rows": rows,
            "can_configure": services.can_configure(request.user),
            "example_target": commission.EXAMPLE_TARGET,
            "query": downloads.query_without_format(request),
        },
    )


def plan_edit(request, pk=None):
    if not services.can_configure(request.user):
        raise Http404
    plan = queries.get_plan(request.user, pk) if pk is not None else None
    form = PlanForm(request.POST or None, initial=PlanForm.initial_for(plan))
    bands = bands_from(request.POST) if request.method == "POST" else bands_of(plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.save_plan(
                request.user,
                form.cleaned_data,
                bands,
                plan=plan,
                version=request.POST.get("version") or None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Commission plan saved."))
            return redirect("incentives:plans")
    if request.method == "POST":
        bands = [*bands, {}]  # room for one more after a refused save
    return render(
        request, "incentives/plan_form.html", {"form": form, "plan": plan, "bands": bands}
    )


def payout_report(request):
    choices = list(queries.visible_plans(request.user).filter(active=True))
    wanted = request.GET.get("plan", "")
    if wanted:
        plan = queries.get_plan(request.user, wanted)
    elif choices:
        plan = queries.get_plan(request.user, choices[0].pk)
    else:
        plan = None
    context = {"plan": plan, "choices": choices}
    if plan is not None:
        start = _period(request, plan.period)
        report = queries.payout(request.user, plan, start)
        if downloads.wanted(request):
            title = f"{plan.name} {report.label}"
            return downloads.respond_book(
                request, title, [(_("Payout"), exports.columns(), exports.rows(report))]
            )
        previous, following = _neighbours(plan.period, report.start)
        context.update(
            report=report,
            period=periods.key(plan.period, report.start),
            previous=previous,
            following=following,
            query=downloads.query_without_format(request),
        )
    return render(request, "incentives/payout.html", context)


def review_page(request):
    wanted = request.GET.get("user") or request.user.pk
    person = queries.get_reviewable(request.user, wanted)
    kind = request.GET.get("kind")
    kind = kind if kind in periods.Kind.values else periods.Kind.QUARTER
    start = _period(request, kind)
    review = queries.review(request.user, person, kind, start)
    if downloads.wanted(request):
        title = f"{_('Period review')} {review.user} {review.label}"
        return downloads.respond_book(request, title, exports.review_book(review))
    previous, following = _neighbours(kind, review.start)
    people = access.visible_users(request.user).exclude(role=User.Role.VIEWER).order_by("name")
    return render(
        request,
        "incentives/review.html",
        {
            "review": review,
            "kind": kind,
            "kinds": periods.Kind.choices,
            "period": periods.key(kind, review.start),
            "previous": previous,
            "following": following,
            "people": people,
            "query": downloads.query_without_format(request),
        },
    )
