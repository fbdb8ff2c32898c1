from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.core.params import date_param
from kehu.customers.models import Contact, Customer
from kehu.sales.queries import open_complaints_of
from kehu.sheets import downloads
from kehu.targets.queries import mine as targets_of

from . import exports, ical, pool, queries, services
from .forms import CadenceFormSet, LogForm, PlanForm
from .models import CalendarFeed, FollowUp, Method, PoolRule


def _back(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _errors(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


def _scope(request) -> str:
    user = request.user
    wants_team = request.GET.get("scope") == "team"
    return "team" if wants_team and (user.is_manager or user.sees_everything) else "me"


def my_day(request):
    """Overdue, today, upcoming: the rep's first page of the morning."""
    scope = _scope(request)
    return render(
        request,
        "followups/my_day.html",
        {
            **queries.my_day(request.user, scope),
            # a long list renders ~3x faster with the two per-row links built by concatenation
            "customer_url": _url_parts("customers:detail"),
            "log_url": _url_parts("followups:log-form"),
            "scope": scope,
            "can_see_team": request.user.is_manager or request.user.sees_everything,
            "methods": Method.choices,
            "complaints": open_complaints_of(request.user)[:10],
            "my_targets": targets_of(request.user),
        },
    )


def _url_parts(name: str) -> tuple[str, str]:
    """The URL of `name` for one integer argument as (before, after) the number."""
    before, after = reverse(name, args=[987654321]).split("987654321")
    return before, after


def log_form(request, pk):
    """The inline form to log the interaction that completes a planned follow-up."""
    followup = get_object_or_404(
        queries.open_followups(request.user, "team").filter(status__in=FollowUp.OPEN), pk=pk
    )
    return render(
        request,
        "followups/partials/log_row.html",
        {"followup": followup, "methods": Method.choices},
    )


@require_POST
def log(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = LogForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Check the interaction: %(fields)s.")
            % {"fields": ", ".join(str(form.fields[f].label) for f in form.errors)},
        )
        return _back(request, reverse("customers:detail", args=[customer.pk]))
    data = form.cleaned_data
    followup = None
    if data["followup"]:
        followup = FollowUp.objects.filter(pk=data["followup"], customer=customer).first()
    deal = None
    if data["deal"]:
        deal = customer.deals.filter(pk=data["deal"]).first()
    contact = None
    if data["contact"]:
        contact = Contact.objects.filter(pk=data["contact"], customer=customer).first()
    try:
        services.log_interaction(
            request.user,
            customer,
            method=data["method"],
            content=data["content"],
            at=data["at"],
            contact=contact,
            feedback=data["feedback"],
            next_step=data["next_step"],
            next_on=data["next_on"],
            followup=followup,
            deal=deal,
        )
    except ValidationError as exc:
        if request.htmx and followup is not None:
            response = render(
                request,
                "followups/partials/log_row.html",
                {"followup": followup, "methods": Method.choices, "errors": exc.messages},
            )
            response["HX-Retarget"] = f"#log-{followup.pk}"
            response["HX-Reswap"] = "outerHTML"
            return response
        _errors(request, exc)
    else:
        if request.htmx and followup is not None:
            return render(request, "followups/partials/done_row.html", {"followup": followup})
        messages.success(request, _("Interaction logged for “%(name)s”.") % {"name": customer})
    return _back(request, reverse("customers:detail", args=[customer.pk]))


@require_POST
def plan(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the follow-up a due date and a method."))
    else:
        try:
            services.plan_followup(request.user, customer, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Follow-up planned."))
    return _back(request, reverse("customers:detail", args=[customer.pk]))


@require_POST
def set_status(request, pk):
    followup = get_object_or_404(access.visible(request.user, FollowUp), pk=pk)
    try:
        services.set_followup_status(
            request.user, followup, request.POST.get("status", ""), request.POST.get("result", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
    return _back(request, reverse("followups:today"))


# --- the calendar and its feed -----------------------------------------------------------------
def month_view(request):
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    scope = _scope(request)
    previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return render(
        request,
        "followups/calendar.html",
        {
            **queries.month(request.user, first.year, first.month, scope),
            "today": today,
            "scope": scope,
            "previous": previous,
            "following": following,
            "can_see_team": request.user.is_manager or request.user.sees_everything,
        },
    )


def feed_settings(request):
    if request.method == "POST":
        services.reset_feed(request.user)
        messages.success(request, _("A new calendar address was made; the old one stops working."))
        return redirect("followups:feed")
    feed = services.calendar_feed(request.user)
    url = request.build_absolute_uri(reverse("followups:ical", args=[feed.token]))
    return render(request, "followups/feed.html", {"url": url})


@login_not_required
def ical_feed(request, token):
    """The private iCal feed (the secret in the URL is the credential)."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    body = ical.calendar_for(feed.user, queries.feed_items(feed.user), request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kehu.ics"'
    return response


# --- notifications ------------------------------------------------------------------------------
def notifications(request):
    if request.method == "POST":
        services.mark_read(request.user)
        return redirect("followups:notifications")
    items = list(queries.notifications(request.user))
    return render(request, "followups/notifications.html", {"items": items})


# --- the public pool ----------------------------------------------------------------------------
def pool_list(request):
    rows = (
        pool.pool_customers(request.user).select_related("industry").order_by("-pooled_at", "-pk")
    )
    tier = request.GET.get("tier", "")
    if tier in Customer.TIERS:
        rows = rows.filter(tier=tier)
    if downloads.wanted(request):  # every pooled customer the filter selects, not only 200
        return downloads.respond(
            request, _("Public pool"), exports.pool_columns(), exports.pool_rows(rows)
        )
    return render(
        request,
        "followups/pool.html",
        {
            "customers": rows[:200],
            "tier": tier,
            "tiers": Customer.TIERS,
            "limits": pool.claim_limits(request.user),
            "can_claim": not request.user.is_read_only,
            "query": downloads.query_without_format(request),
        },
    )


@require_POST
def claim(request, pk):
    customer = get_object_or_404(pool.pool_customers(request.user), pk=pk)
    try:
        pool.claim(request.user, customer)
    except ValidationError as exc:
        _errors(request, exc)
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s” is now yours.") % {"name": customer})
        return redirect("customers:detail", pk=customer.pk)
    return redirect("followups:pool")


@require_POST
def release(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    try:
        pool.release(request.user, customer, request.POST.get("reason", ""))
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("customers:detail", pk=customer.pk)
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
        return redirect("customers:detail", pk=customer.pk)
    messages.success(request, _("“%(name)s” went back to the public pool.") % {"name": customer})
    return redirect("followups:pool")


# --- cadences and pool rules (directors) ------------------------------------------------------
def cadence(request):
    if not services.can_set_cadence(request.user):
        raise Http404
    services.ensure_default_cadence()
    pool.ensure_default_rules()
    formset = CadenceFormSet(request.POST or None, prefix="rule")
    if request.method == "POST" and formset.is_valid():
        rows = [
            {**f.cleaned_data, "id": f.instance.pk}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        pool_rows = [
            {"tier": t, "status": s, "days": d}
            for t, s, d in zip(
                request.POST.getlist("pool_tier"),
                request.POST.getlist("pool_status"),
                request.POST.getlist("pool_days"),
                strict=False,
            )
            if d.strip()
        ]
        try:
            with transaction.atomic():  # both tables or neither
                services.save_cadence(request.user, rows)
                pool.save_rules(request.user, pool_rows)
        except (ValidationError, ValueError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Cadences and pool rules saved."))
            return redirect("followups:cadence")
    return render(
        request,
        "followups/cadence.html",
        {
            "formset": formset,
            "pool_rules": PoolRule.objects.all(),
            "tiers": Customer.TIERS,
            "statuses": Customer.Status.choices,
        },
    )


# --- the two sheets -------------------------------------------------------------------------
SHEET_ROWS = 200


def interaction_list(request):
    scope = _scope(request)
    method = request.GET.get("method", "")
    since, until = date_param(request, "since"), date_param(request, "until")
    rows = queries.interaction_log(
        request.user, scope, method if method in Method.values else "", since, until
    )
    if downloads.wanted(request):  # every row the filters select, not only the first page
        return downloads.respond(
            request,
            _("Interaction log"),
            exports.interaction_columns(),
            exports.interaction_rows(rows),
        )
    return render(
        request,
        "followups/interactions.html",
        {
            "rows": rows[:SHEET_ROWS],
            "limit": SHEET_ROWS,
            "scope": scope,
            "method": method,
            "methods": Method.choices,
            "since": since,
            "until": until,
            "query": downloads.query_without_format(request),
            "can_see_team": request.user.is_manager or request.user.sees_everything,
        },
    )


def plan_list(request):
    scope = _scope(request)
    status = request.GET.get("status", "")
    since, until = date_param(request, "since"), date_param(request, "until")
    rows = queries.plan_sheet(request.user, scope, status, since, until)
    if downloads.wanted(request):
        return downloads.respond(
            request, _("Follow-up plan"), exports.plan_columns(), exports.plan_rows(rows)
        )
    return render(
        request,
        "followups/plans.html",
        {
            "rows": rows[:SHEET_ROWS],
            "limit": SHEET_ROWS,
            "scope": scope,
            "status": status,
            "statuses": [("overdue", _("Overdue")), *FollowUp.Status.choices],
            "since": since,
            "until": until,
            "today": timezone.localdate(),
            "query": downloads.query_without_format(request),
            "can_see_team": request.user.is_manager or request.user.sees_everything,
        },
    )
