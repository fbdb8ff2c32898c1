from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.customers.models import Customer

from . import queries, services
from .models import ProposalReview


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
