from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.core.models import ScheduledJob
from kehu.core.params import date_param, posted_date
from kehu.customers.models import Customer
from kehu.sheets import downloads, export

from . import defaults, exports, metrics, queries, services
from .forms import PolicyForm, RowError
from .models import ProposalReview, TierPolicy, TierRun

REVIEW_LIMIT = 200
RUN_LIMIT = 12


def review_queue(request):
    """Proposals waiting for the person's decision, oldest first."""
    actor = request.user
    if not (actor.sees_everything or actor.is_manager):
        raise Http404
    proposals = queries.proposals_to_review(actor).order_by("created_at", "id")
    if downloads.wanted(request):  # every proposal waiting, not only the first 200
        return downloads.respond(
            request, _("Tier reviews"), exports.review_columns(), exports.review_rows(proposals)
        )
    return render(
        request,
        "tiering/review_queue.html",
        {
            "proposals": proposals[:REVIEW_LIMIT],
            "decisions": ProposalReview.Decision.choices,
            "tiers": Customer.TIERS,
            "query": downloads.query_without_format(request),
        },
    )


@require_POST
def decide(request, pk):
    proposal = get_object_or_404(queries.proposals_to_review(request.user), pk=pk)
    try:
        services.review(
            request.user,
            proposal,
            request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            adjusted_tier=request.POST.get("adjusted_tier", ""),
            effective_on=posted_date(request, "effective_on"),
        )
    except ValidationError as exc:
        messages.error(request, f"{proposal.customer}: {' '.join(exc.messages)}")
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Review saved for “%(name)s”.") % {"name": proposal.customer})
    return redirect("tiering:review")


@require_POST
def propose(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    try:
        services.propose_change(
            request.user, customer, request.POST.get("to_tier", ""), request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tier change proposed; it takes effect once reviewed."))
    return redirect("customers:detail", pk=customer.pk)


def _director_only(request):
    if not services.can_set_policy(request.user):
        raise Http404


def policy_list(request):
    _director_only(request)
    return render(
        request,
        "tiering/policies.html",
        {
            "policies": TierPolicy.objects.select_related(
                "created_by", "published_by"
            ).prefetch_related("tiers", "criteria"),
            "schedule": services.retier_schedule(),
            "schedule_choices": ScheduledJob.Every.choices,
            **_runs_context(),
        },
    )


def policy_edit(request):
    """Edit a new draft (from the published policy, another version, or the defaults); Preview
    shows what it would do to every customer now, Save keeps it as a draft."""
    _director_only(request)
    base = None
    if request.GET.get("from"):
        base = get_object_or_404(TierPolicy, pk=request.GET["from"])
    else:
        base = TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).first()
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_from(base, defaults))
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            criteria, tiers = form.criteria(), form.tiers()
            if request.POST.get("action") == "save":
                policy = services.create_policy(
                    request.user,
                    form.cleaned_data["name"],
                    criteria,
                    tiers,
                    form.cleaned_data["cutoff"],
                    notes=form.cleaned_data["notes"],
                )
                messages.success(request, _("Draft “%(policy)s” saved.") % {"policy": policy})
                return redirect("tiering:policies")
            pure = services.build_spec(criteria, tiers, form.cleaned_data["cutoff"])
            if request.POST.get("action") in ("export", "export-csv"):
                movers = queries.what_if(request.user, pure, limit=None)["movers"]
                return _movers_export(movers, csv=request.POST["action"] == "export-csv")
            preview = queries.what_if(request.user, pure)
        except ValidationError as exc:
            labels = {"weights": _("weight"), "tiers": _("tiers"), "criteria": _("criteria")}
            for field, errors in exc.message_dict.items():
                if field in metrics.METRICS:
                    label = metrics.METRICS[field].label
                else:
                    label = labels.get(field)
                for error in errors:
                    form.add_error(None, f"{label}: {error}" if label else error)
        except RowError:
            pass  # the message is on the field
    return render(
        request, "tiering/policy_form.html", {"form": form, "preview": preview, "base": base}
    )


def _movers_export(movers, csv=False):
    """Every customer who would move, highest score first, as .xlsx (or CSV)."""
    tiers = list(Customer.TIERS)
    columns = [
        export.Column(_("customer number"), export.INTEGER),
        export.Column(_("customer name"), width=36),
        export.Column(_("from tier"), choices=tiers),
        export.Column(_("to tier"), choices=tiers),
        export.Column(_("score"), export.NUMBER),
    ]
    rows = ([m["id"], m["name"], m["from"], m["to"], round(m["score"], 2)] for m in movers)
    name = _("what-if")
    if csv:
        return export.csv_response(name, columns, rows)
    return export.xlsx_response(name, _("customers who would move"), columns, rows)


@require_POST
def policy_publish(request, pk):
    _director_only(request)
    policy = get_object_or_404(TierPolicy, pk=pk)
    try:
        services.publish_policy(request.user, policy)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("“%(policy)s” is now the published policy.") % {"policy": policy}
        )
    return redirect("tiering:policies")


@require_POST
def policy_run(request, pk):
    """Queues a re-tiering job; the policies page follows its progress."""
    _director_only(request)
    policy = get_object_or_404(TierPolicy, pk=pk, status=TierPolicy.Status.PUBLISHED)
    try:
        services.start_run(request.user, policy)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Re-tiering started; its progress shows below. Changes go to review.")
        )
    return redirect("tiering:policies")


def runs(request):
    """The runs table; htmx polls it while a run is queued or running."""
    _director_only(request)
    return render(request, "tiering/partials/runs.html", _runs_context())


def _runs_context() -> dict:
    runs = list(TierRun.objects.select_related("policy", "started_by")[:10])
    return {"runs": runs, "running": any(r.in_progress for r in runs)}


@require_POST
def retier_schedule(request):
    _director_only(request)
    try:
        services.set_retier_schedule(request.user, request.POST.get("every", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Re-tiering schedule saved."))
    return redirect("tiering:policies")


@require_POST
def override(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    try:
        services.set_override(
            request.user,
            customer,
            request.POST.get("tier", ""),
            request.POST.get("reason", ""),
            posted_date(request, "expires_on") or timezone.localdate(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except access.AccessDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Tier set by hand until the expiry date; re-tiering leaves it alone.")
        )
    return redirect("customers:detail", pk=customer.pk)


def history(request):
    """The distribution over time (daily snapshots, the actor's teams), the distribution per
    run, and the transition matrix since a date (default: the last run). Exported, every run
    is listed (the page shows the latest ones)."""
    actor = request.user
    done = TierRun.objects.filter(status=TierRun.Status.DONE).select_related("policy")
    runs = list(done if downloads.wanted(request) else done[:RUN_LIMIT])
    over_time = queries.distribution_over_time(
        actor, since=timezone.localdate() - timedelta(days=730)
    )
    for newer, older in zip(runs, runs[1:], strict=False):
        older.next_started = newer.started_at  # "between this run and the next" links
    since, until = date_param(request, "since"), date_param(request, "until")
    if since is None and len(runs) > 1:
        since = timezone.localtime(runs[1].started_at).date()
    labels = sorted({k for r in runs for k in r.distribution})
    # `until` is inclusive on the page: changes before the next day's start
    transitions = queries.transitions(actor, since=since, until=until and until + timedelta(days=1))
    if downloads.wanted(request):
        return downloads.respond_book(
            request,
            _("Tier history"),
            exports.history_sheets(runs, labels, transitions, over_time),
        )
    return render(
        request,
        "tiering/history.html",
        {
            "runs": runs,
            "labels": labels,
            "since": since,
            "until": until,
            "transitions": transitions,
            "chart": _distribution_chart(over_time),
            "query": downloads.query_without_format(request),
        },
    )


def _distribution_chart(over_time: dict) -> dict | None:
    """An ECharts option: customers per tier over time, stacked."""
    if not over_time["days"]:
        return None
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": over_time["days"]},
        "yAxis": {"type": "value", "name": _("customers")},
        "series": [
            {"name": tier, "type": "line", "stack": "tiers", "areaStyle": {}, "data": values}
            for tier, values in over_time["series"].items()
        ],
    }
