from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.core.forms import add_errors, errors_text
from kehu.core.params import date_param
from kehu.sheets import downloads

from . import exports, periods, queries, services
from .forms import QuotaForm, UsageForm
from .models import Quota, QuotaUsage

LIST_LIMIT = 500
PERIODS = ("month", "quarter", "year", "custom")


# --- the quota definitions ------------------------------------------------------------------
def quota_list(request):
    can_edit = services.can_configure(request.user)
    quotas, tiers, table = queries.matrix()
    if request.method == "GET" and downloads.wanted(request):
        return downloads.respond(
            request,
            _("Service quotas"),
            exports.matrix_columns(tiers),
            exports.matrix_rows(quotas, tiers, table),
        )
    editing, form = None, None
    if can_edit:
        if request.GET.get("edit", "").isdigit():
            editing = get_object_or_404(Quota, pk=int(request.GET["edit"]))
        form = QuotaForm(request.POST or None, initial=QuotaForm.initial_for(editing, table))
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.save_quota(
                    request.user,
                    form.cleaned_data,
                    editing,
                    version=request.POST.get("version") if editing else None,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Quota saved."))
                return redirect("quotas:list")
    rows = [(q, [table.get((q.pk, t)) for t in tiers]) for q in quotas]
    return render(
        request,
        "quotas/list.html",
        {
            "rows": rows,
            "tiers": tiers,
            "form": form,
            "editing": editing,
            "can_edit": can_edit,
            "query": downloads.query_without_format(request),
        },
    )


# --- logging a use from the customer page ---------------------------------------------------
@require_POST
def log_usage(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = UsageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            usage = services.record_usage(
                request.user,
                customer,
                data["quota"],
                data["amount"],
                data.get("used_on") or None,
                data.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if usage.status == QuotaUsage.Status.PENDING:
                messages.warning(
                    request,
                    _("Over the allowance: sent to the manager for approval."),
                )
            else:
                messages.success(request, _("Use recorded."))
    else:
        messages.error(
            request,
            errors_text(form),
        )
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#quotas")


# --- approvals ------------------------------------------------------------------------------
def approvals(request):
    mine = (
        access.visible(request.user, QuotaUsage)
        .filter(status=QuotaUsage.Status.PENDING, by=request.user)
        .select_related("customer", "quota")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "quotas/approvals.html",
        {
            "pending": queries.pending_approvals(request.user)[:LIST_LIMIT],
            "mine": mine[:LIST_LIMIT],
            "limit": LIST_LIMIT,
        },
    )


@require_POST
def decide(request, pk):
    usage = get_object_or_404(
        access.visible(request.user, QuotaUsage).select_related("customer", "quota"), pk=pk
    )
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_usage(request.user, usage, approve, request.POST.get("note", ""))
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect("quotas:approvals")


# --- the usage report -----------------------------------------------------------------------
def _range(request) -> tuple[str, date, date, date]:
    """The report's days: a month, quarter or year holding `day` (this one by default), or
    from `start` to `end`."""
    kind = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    day = date_param(request, "day") or periods.company_date()
    if kind == "custom":
        start = date_param(request, "start") or periods.period_start(day, "month")
        end = date_param(request, "end") or day
        if end < start:
            start, end = end, start
        return kind, day, start, end
    return kind, day, periods.period_start(day, kind), periods.period_end(day, kind)


def usage_page(request):
    kind, day, start, end = _range(request)
    quota = team = None
    if (request.GET.get("quota") or "").isdigit():
        quota = get_object_or_404(Quota, pk=int(request.GET["quota"]))
    teams = access.visible_teams(request.user)
    if (request.GET.get("team") or "").isdigit():
        team = get_object_or_404(teams, pk=int(request.GET["team"]))
    if downloads.wanted(request):
        rows = queries.usage_report(request.user, start, end, quota, team)
        return downloads.respond(
            request, _("Service quota usage"), exports.columns(), exports.rows(rows)
        )
    rows = queries.usage_report(request.user, start, end, quota, team, limit=LIST_LIMIT)
    step = {"month": 31, "quarter": 92, "year": 366}.get(kind)
    return render(
        request,
        "quotas/usage.html",
        {
            "rows": rows,
            "totals": queries.report_totals(request.user, start, end, quota, team),
            "limit": LIST_LIMIT,
            "kind": kind,
            "day": day,
            "start": start,
            "end": end,
            "label": periods.label(start, kind) if kind != "custom" else "",
            "previous": periods.period_start(start - timedelta(days=1), kind) if step else None,
            "next": periods.next_start(start, kind) if step else None,
            "quota": quota,
            "team": team,
            "quotas": Quota.objects.all(),
            "teams": teams.order_by("path"),
            "query": downloads.query_without_format(request),
        },
    )
