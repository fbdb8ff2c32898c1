import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.customers.models import Customer

from . import defaults, metrics, queries, services
from .forms import PolicyForm, RowError
from .models import ProposalReview, TierPolicy, TierRun


def review_queue(request):
    """Proposals waiting for the person's decision, oldest first."""
    actor = request.user
    if not (actor.sees_everything or actor.is_manager):
        raise Http404
    proposals = queries.proposals_to_review(actor).order_by("created_at", "id")[:200]
    return render(
        request,
        "tiering/review_queue.html",
        {
            "proposals": proposals,
            "decisions": ProposalReview.Decision.choices,
            "tiers": Customer.TIERS,
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
            effective_on=parse_date(request.POST.get("effective_on") or "") or None,
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
            "policies": TierPolicy.objects.select_related("created_by", "published_by"),
            "runs": TierRun.objects.select_related("policy")[:10],
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
            preview = queries.what_if(
                request.user, services.build_spec(criteria, tiers, form.cleaned_data["cutoff"])
            )
            if request.POST.get("action") == "export":
                return _movers_csv(preview)
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


def _movers_csv(preview) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="what-if.csv"'
    response.write("\ufeff")  # so that Excel opens UTF-8 Chinese correctly
    writer = csv.writer(response)
    writer.writerow(
        [_("customer number"), _("customer name"), _("from tier"), _("to tier"), _("score")]
    )
    for m in preview["movers"]:
        writer.writerow([m["id"], m["name"], m["from"], m["to"], f"{m['score']:.2f}"])
    return response


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
    _director_only(request)
    policy = get_object_or_404(TierPolicy, pk=pk, status=TierPolicy.Status.PUBLISHED)
    run = services.run_tiering(request.user, policy)
    messages.success(
        request,
        _("%(customers)s customers scored; %(proposals)s changes proposed for review.")
        % {"customers": f"{run.customers:,}", "proposals": f"{run.proposals:,}"},
    )
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
            parse_date(request.POST.get("expires_on") or "") or timezone.localdate(),
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
    """Distribution per run and the transition matrix since a date (default: the last run)."""
    actor = request.user
    runs = list(TierRun.objects.filter(status=TierRun.Status.DONE).select_related("policy")[:12])
    since = parse_date(request.GET.get("since") or "")
    if since is None and len(runs) > 1:
        since = timezone.localtime(runs[1].started_at).date()
    labels = sorted({k for r in runs for k in r.distribution})
    return render(
        request,
        "tiering/history.html",
        {
            "runs": runs,
            "labels": labels,
            "since": since,
            "transitions": queries.transitions(actor, since=since),
        },
    )
