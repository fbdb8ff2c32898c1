from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.core.forms import add_errors
from kehu.customers.models import Channel, Customer
from kehu.customers.services import StaleEdit
from kehu.followups.models import Method
from kehu.sheets import downloads, export

from . import analytics, exports, milestones, queries, services
from .forms import DealForm
from .models import Deal, Milestone, MilestoneTemplate, Stage


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
    rows = rows.order_by("-updated_at", "-pk")
    if downloads.wanted(request):  # every deal the filters select, in the list's order
        return downloads.respond(request, _("Deals"), exports.columns(), exports.rows(rows))
    return render(
        request,
        "pipeline/list.html",
        {
            "deals": rows[:200],
            "scope": scope,
            "stage": stage,
            "query": downloads.query_without_format(request),
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
            add_errors(form, exc)
        else:
            messages.success(request, _("Deal “%(title)s” created.") % {"title": deal.title})
            return redirect("pipeline:detail", pk=deal.pk)
    return render(request, "pipeline/deal_form.html", {"form": form, "customer": customer})


def _visible_deal(request, pk) -> Deal:
    return get_object_or_404(
        access.visible(request.user, Deal).select_related("customer", "stage", "owner"), pk=pk
    )


def _seen_version(raw) -> int | None:
    """The version the edit form carried; one that is not a number is never current (-1:
    refused as stale), none at all skips the check."""
    try:
        return int(raw or 0) or None
    except ValueError:
        return -1


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
                    version=_seen_version(request.POST.get("version")),
                )
            except StaleEdit as exc:
                messages.error(request, str(exc))
            except ValidationError as exc:
                add_errors(form, exc)
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
            "deal_order": getattr(deal, "order", None),
            "today": timezone.localdate(),
            "stages": Stage.objects.filter(active=True),
        },
    )


@require_POST
def deal_move(request, pk):
    """A drop on the board (JSON for the board's script) or a stage button (redirect)."""
    deal = _visible_deal(request, pk)
    stage = get_object_or_404(Stage, pk=request.POST.get("stage"))
    seen = request.POST.get("from", "")
    try:
        deal = services.move_stage(
            request.user,
            deal,
            stage,
            lost_reason=request.POST.get("lost_reason", ""),
            from_stage=int(seen) if seen.isdigit() else None,
        )
    except StaleEdit as exc:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"error": str(exc)}, status=409)
        messages.error(request, str(exc))
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


# --- flow analytics ---------------------------------------------------------------------------
def analytics_page(request):
    actor = request.user
    filters = _analytics_filters(request)
    rows = analytics.deals(actor, filters)
    report = {
        "funnel": analytics.funnel(rows),
        "channels": analytics.by_channel(rows),
        "owners": analytics.by_owner(rows),
        "teams": analytics.by_owner(rows, "team"),
        "cycle_days": analytics.cycle_days(rows),
        "stays": analytics.time_in_stage(rows),
        "methods": analytics.methods_by_outcome(rows),
        "lost": analytics.lost_reasons(rows),
    }
    if downloads.wanted(request) or request.GET.get("export") == "xlsx":  # (older links)
        return downloads.respond_book(request, _("flow analytics"), _analytics_sheets(report))
    method_labels = dict(Method.choices)
    for row in report["methods"]:
        row["label"] = method_labels.get(row["method"], row["method"])
    return render(
        request,
        "pipeline/analytics.html",
        {
            **report,
            "filters": filters,
            "owners_choice": access.visible_users(actor).order_by("name"),
            "teams_choice": access.visible_teams(actor),
            "channels_choice": Channel.objects.all(),
            "tiers": Customer.TIERS,
            "query": downloads.query_without_format(request),
            "channel_chart": _bar_chart(
                [r["channel__name"] or "—" for r in report["channels"]],
                [
                    (_("deals"), [r["deals"] for r in report["channels"]]),
                    (_("won"), [r["won"] for r in report["channels"]]),
                ],
            ),
            "stay_chart": _bar_chart(
                [r["stage"].name for r in report["stays"]],
                [(_("average days"), [round(r["days"], 1) for r in report["stays"]])],
            ),
            "method_chart": _bar_chart(
                [r["label"] for r in report["methods"]],
                [
                    (_("won"), [r["won"] for r in report["methods"]]),
                    (_("lost"), [r["lost"] for r in report["methods"]]),
                ],
            ),
            "funnel_chart": {
                "tooltip": {"trigger": "item"},
                "series": [
                    {
                        "type": "funnel",
                        "sort": "none",
                        "left": "5%",
                        "width": "65%",
                        "label": {"formatter": "{b}: {c}"},
                        "data": [
                            {"name": f["stage"].name, "value": f["count"]} for f in report["funnel"]
                        ],
                    }
                ],
            },
        },
    )


def _bar_chart(categories, series) -> dict:
    """An ECharts option: grouped bars, one series per (name, values)."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "top": 30, "bottom": 40},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"interval": 0}},
        "yAxis": {"type": "value"},
        "series": [{"name": str(name), "type": "bar", "data": values} for name, values in series],
    }


def _analytics_filters(request) -> analytics.Filters:
    get = request.GET

    def number(key):
        value = get.get(key, "")
        return int(value) if value.isdigit() else None

    return analytics.Filters(
        since=parse_date(get.get("since") or ""),
        until=parse_date(get.get("until") or ""),
        team=number("team"),
        owner=number("owner"),
        channel=number("channel"),
        tier=get.get("tier", "") if get.get("tier", "") in Customer.TIERS else "",
    )


def _analytics_sheets(report) -> list:
    """The report's tables, a sheet each; the funnel first (the CSV's one table)."""

    def pct(value):
        return None if value is None else round(value * 100, 1)

    return [
        (
            _("funnel"),
            [
                export.Column(_("stage")),
                export.Column(_("deals"), export.INTEGER),
                export.Column(_("amount (CNY)"), export.MONEY),
                export.Column(_("conversion (%)"), export.NUMBER),
            ],
            (
                [f["stage"].name, f["count"], f["amount"], pct(f["conversion"])]
                for f in report["funnel"]
            ),
        ),
        (
            _("by channel"),
            [
                export.Column(_("source channel")),
                export.Column(_("deals"), export.INTEGER),
                export.Column(_("won"), export.INTEGER),
                export.Column(_("conversion (%)"), export.NUMBER),
            ],
            (
                [r["channel__name"] or "—", r["deals"], r["won"], pct(r["rate"])]
                for r in report["channels"]
            ),
        ),
        (
            _("by owner"),
            [
                export.Column(_("owner")),
                export.Column(_("deals"), export.INTEGER),
                export.Column(_("won"), export.INTEGER),
                export.Column(_("lost"), export.INTEGER),
                export.Column(_("win rate (%)"), export.NUMBER),
                export.Column(_("average won deal (CNY)"), export.MONEY),
            ],
            (
                [
                    r["name"] or "—",
                    r["deals"],
                    r["won"],
                    r["lost"],
                    pct(r["rate"]),
                    r["average"],
                ]
                for r in report["owners"]
            ),
        ),
        (
            _("time in stage"),
            [export.Column(_("stage")), export.Column(_("average days"), export.NUMBER)],
            ([r["stage"].name, round(r["days"], 1)] for r in report["stays"]),
        ),
        (
            _("lost reasons"),
            [
                export.Column(_("lost reason"), width=40),
                export.Column(_("deals"), export.INTEGER),
            ],
            ([r["lost_reason"], r["n"]] for r in report["lost"]),
        ),
    ]


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def stage_settings(request):
    """Directors: the stages in order, their colours, default probabilities, in use or not."""
    if not services.can_configure(request.user):
        raise Http404
    services.ensure_default_stages()
    stages = list(Stage.objects.all())
    if request.method == "POST":
        post = request.POST
        rows = [
            {
                "id": post.get(f"id_{i}") or None,
                "name": post.get(f"name_{i}", ""),
                "kind": post.get(f"kind_{i}", Stage.Kind.OPEN),
                "probability": post.get(f"probability_{i}", "0"),
                "color": post.get(f"color_{i}", ""),
                "active": post.get(f"active_{i}") == "on",
                "order": _int(post.get(f"order_{i}"), i),
            }
            for i in range(int(post.get("rows", "0") or 0))
            if post.get(f"name_{i}", "").strip() or post.get(f"id_{i}")
        ]
        rows.sort(key=lambda r: r["order"])
        templates = [
            {
                "id": post.get(f"m_id_{i}") or None,
                "name": post.get(f"m_name_{i}", ""),
                "trigger_stage": _int(post.get(f"m_stage_{i}"), None),
                "role": post.get(f"m_role_{i}", ""),
                "days": post.get(f"m_days_{i}", "").strip(),
            }
            for i in range(_int(post.get("m_rows"), 0))
            if post.get(f"m_name_{i}", "").strip() and post.get(f"m_delete_{i}") != "on"
        ]
        try:
            with transaction.atomic():  # both tables or neither
                services.save_stages(request.user, rows)
                if "m_rows" in post:
                    milestones.save_templates(request.user, templates)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Stages saved."))
            return redirect("pipeline:stages")
    return render(
        request,
        "pipeline/stages.html",
        {
            "stages": stages,
            "rows": len(stages) + 1,
            "templates": list(MilestoneTemplate.objects.select_related("trigger_stage")),
            "roles": MilestoneTemplate.Role.choices,
            "kinds": Stage.Kind.choices,
            "colors": Stage.Color.choices,
        },
    )
