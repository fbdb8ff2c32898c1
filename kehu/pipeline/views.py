from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.customers.services import StaleEdit

from . import milestones, queries, services
from .forms import DealForm
from .models import Deal, Milestone, Stage


def _scope(request) -> str:
    default = "team" if request.user.is_read_only else "me"
    scope = request.GET.get("scope", default)
    return "team" if scope == "team" and queries.can_see_team(request.user) else "me"


def deal_list(request):
    scope = _scope(request)
    rows = queries.deals(request.user, scope)
    stage = request.GET.get("stage", "")
    if stage.isdigit():
        rows = rows.filter(stage_id=int(stage))
    return render(
        request,
        "pipeline/list.html",
        {
            "deals": rows.order_by("-updated_at", "-pk")[:200],
            "scope": scope,
            "stage": stage,
            "stages": Stage.objects.filter(active=True),
            "can_see_team": queries.can_see_team(request.user),
        },
    )


def board(request):
    services.ensure_default_stages()
    scope = _scope(request)
    return render(
        request,
        "pipeline/board.html",
        {
            "columns": queries.board(request.user, scope),
            "scope": scope,
            "can_see_team": queries.can_see_team(request.user),
            "limit": queries.CARDS_PER_STAGE,
            "lost_prompt": _("Why was the deal lost?"),
        },
    )


def deal_new(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    services.ensure_default_stages()
    form = DealForm(request.POST or None, initial={"channel": customer.channel_id})
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.create_deal(request.user, customer, form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Deal “%(title)s” created.") % {"title": deal.title})
            return redirect("pipeline:detail", pk=deal.pk)
    return render(request, "pipeline/deal_form.html", {"form": form, "customer": customer})


def _visible_deal(request, pk) -> Deal:
    return get_object_or_404(
        access.visible(request.user, Deal).select_related("customer", "stage", "owner"), pk=pk
    )


def deal_detail(request, pk):
    deal = _visible_deal(request, pk)
    can_edit = access.can_edit_customer(request.user, deal.customer)
    form = DealForm(request.POST or None, instance=deal, editing=True)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.update_deal(
                    request.user,
                    deal,
                    form.cleaned_data,
                    version=int(request.POST.get("version") or 0) or None,
                )
            except StaleEdit as exc:
                messages.error(request, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Deal saved."))
                return redirect("pipeline:detail", pk=deal.pk)
    return render(
        request,
        "pipeline/detail.html",
        {
            "deal": deal,
            "form": form,
            "can_edit": can_edit,
            "history": queries.history(request.user, deal),
            "milestones": deal.milestones.select_related("owner"),
            "today": timezone.localdate(),
            "stages": Stage.objects.filter(active=True),
        },
    )


@require_POST
def deal_move(request, pk):
    """A drop on the board (JSON for the board's script) or a stage button (redirect)."""
    deal = _visible_deal(request, pk)
    stage = get_object_or_404(Stage, pk=request.POST.get("stage"))
    try:
        deal = services.move_stage(
            request.user, deal, stage, lost_reason=request.POST.get("lost_reason", "")
        )
    except ValidationError as exc:
        if request.htmx or request.headers.get("Accept") == "application/json":
            return JsonResponse({"error": " ".join(exc.messages)}, status=422)
        messages.error(request, " ".join(exc.messages))
    except Http404:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"error": _("You cannot change this deal.")}, status=404)
        raise
    else:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"stage": stage.pk, "probability": deal.probability})
    return redirect("pipeline:detail", pk=deal.pk)


@require_POST
def deal_reset_probability(request, pk):
    deal = _visible_deal(request, pk)
    services.reset_probability(request.user, deal)
    return redirect("pipeline:detail", pk=deal.pk)


@require_POST
def milestone_done(request, pk):
    milestone = get_object_or_404(
        Milestone.objects.filter(deal__in=access.visible(request.user, Deal)), pk=pk
    )
    try:
        milestones.complete(request.user, milestone)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("pipeline:detail", pk=milestone.deal_id)
