from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.core.forms import add_errors, errors_text
from kehu.core.params import date_param
from kehu.sheets import downloads

from . import churn, exports, lifecycle, queries, services, winback
from .forms import (
    AnswerForm,
    FeedbackForm,
    FeedbackUpdateForm,
    OrderForm,
    ProductForm,
    lines_from,
    lines_of,
)
from .models import Feedback, Order, Product

LIST_LIMIT = 200


def _owners(actor, customer=None):
    owners = access.assignable_owners(actor)
    if customer is not None and customer.owner_id:
        owners = owners | User.objects.filter(pk=customer.owner_id)
    return owners.distinct().order_by("name")


# --- orders ---------------------------------------------------------------------------------
def _number(request, key) -> int | None:
    value = request.GET.get(key) or ""
    return int(value) if value.isdigit() else None


def _choice(request, key, values) -> str | None:
    value = request.GET.get(key)
    return value if value in values else None


def order_list(request):
    params = {
        "customer": _number(request, "customer"),
        "collection": _choice(request, "collection", Order.Collection.values),
        "since": date_param(request, "since"),
        "until": date_param(request, "until"),
        "product": _number(request, "product"),
    }
    if request.GET.get("mine"):
        params["owner"] = request.user
    rows = queries.order_list(request.user, params).order_by("-order_date", "-pk")
    if downloads.wanted(request):
        return downloads.respond(request, _("Orders"), exports.columns(), exports.rows(rows))
    return render(
        request,
        "sales/orders.html",
        {
            "orders": rows.prefetch_related("lines__product")[:LIST_LIMIT],
            "limit": LIST_LIMIT,
            "params": params,
            "collections": Order.Collection.choices,
            "query": downloads.query_without_format(request),
        },
    )


def _is_date(value) -> bool:
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


def _order_page(request, customer, form, lines, order=None, deal=None):
    return render(
        request,
        "sales/order_form.html",
        {
            "customer": customer,
            "form": form,
            "lines": lines,
            "order": order,
            "deal": deal,
            "products": Product.objects.filter(active=True).select_related("category"),
        },
    )


def order_new(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = OrderForm(
        request.POST or None,
        owners=_owners(request.user, customer),
        initial={"owner": customer.owner_id or request.user.pk},
    )
    lines = lines_from(request.POST) if request.method == "POST" else lines_of(None, 4)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.create_order(request.user, customer, form.cleaned_data, lines)
        except ValidationError as exc:
            _line_errors(form, exc)
        else:
            messages.success(request, _("Order saved."))
            return redirect("sales:order", pk=order.pk)
    if request.method == "POST":
        lines = lines + [{}]
    return _order_page(request, customer, form, lines)


def _line_errors(form, exc: ValidationError) -> None:
    """Errors of the lines ("line 2": …) above the form, the others on their fields."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            label = field.replace("line ", _("line") + " ") if field.startswith("line") else ""
            form.add_error(None, [f"{label}: {e}" if label else e for e in errors])


def order_from_deal(request, deal_pk):
    from kehu.pipeline.models import Deal

    deal = get_object_or_404(
        access.visible(request.user, Deal).select_related("customer", "stage"), pk=deal_pk
    )
    customer = access.get_customer(request.user, deal.customer_id, write=True)
    if hasattr(deal, "order"):
        return redirect("sales:order", pk=deal.order.pk)
    closed = timezone.localdate(deal.closed_at) if deal.closed_at else timezone.localdate()
    form = OrderForm(
        request.POST or None,
        owners=_owners(request.user, customer),
        initial={"owner": deal.owner_id, "order_date": closed},
    )
    lines = (
        lines_from(request.POST)
        if request.method == "POST"
        else [{"description": deal.title, "quantity": 1, "unit_price": deal.amount}, {}, {}]
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_from_deal(request.user, deal, form.cleaned_data, lines)
        except ValidationError as exc:
            _line_errors(form, exc)
        else:
            messages.success(request, _("The won deal is now an order."))
            return redirect("sales:order", pk=order.pk)
    return _order_page(request, customer, form, lines, deal=deal)


def _visible_order(request, pk) -> Order:
    return get_object_or_404(
        access.visible(request.user, Order).select_related("customer", "owner", "deal"), pk=pk
    )


def order_detail(request, pk):
    order = _visible_order(request, pk)
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": order.lines.select_related("product__category"),
            "can_edit": access.can_edit_customer(request.user, order.customer),
            "today": timezone.localdate(),
            "outstanding": order.amount - order.collected_amount,
        },
    )


def order_edit(request, pk):
    order = _visible_order(request, pk)
    services.editable_order(request.user, order)
    form = OrderForm(
        request.POST or None,
        owners=_owners(request.user, order.customer),
        initial={
            "order_date": order.order_date,
            "number": order.number,
            "owner": order.owner_id,
            "collected_amount": order.collected_amount,
            "collected_on": order.collected_on,
            "notes": order.notes,
        },
    )
    lines = lines_from(request.POST) if request.method == "POST" else lines_of(order, 2)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_order(
                request.user,
                order,
                form.cleaned_data,
                lines,
                version=int(request.POST.get("version") or 0),
            )
        except ValidationError as exc:
            _line_errors(form, exc)
        else:
            messages.success(request, _("Order saved."))
            return redirect("sales:order", pk=order.pk)
    return _order_page(request, order.customer, form, lines, order=order)


@require_POST
def order_collect(request, pk):
    order = _visible_order(request, pk)
    on = request.POST.get("collected_on")
    try:
        services.record_collection(
            request.user,
            order,
            request.POST.get("amount"),
            parse_date(on) if _is_date(on) else None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Collection recorded."))
    return redirect("sales:order", pk=order.pk)


@require_POST
def order_delete(request, pk):
    order = _visible_order(request, pk)
    customer_id = order.customer_id
    services.delete_order(request.user, order)
    messages.success(request, _("Order deleted."))
    return redirect("customers:detail", pk=customer_id)


# --- products -------------------------------------------------------------------------------
def products(request):
    if request.method == "GET" and downloads.wanted(request):
        return downloads.respond(
            request,
            _("Products"),
            exports.product_columns(),
            exports.product_rows(queries.products_with_sales()),
        )
    can_edit = services.can_configure(request.user)
    editing = None
    if can_edit and request.GET.get("edit", "").isdigit():
        editing = get_object_or_404(Product, pk=int(request.GET["edit"]))
    form = ProductForm(request.POST or None, instance=editing) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            data = {**form.cleaned_data, "category": form.cleaned_data.get("category_name", "")}
            try:
                services.save_product(request.user, data, editing)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Product saved."))
                return redirect("sales:products")
    return render(
        request,
        "sales/products.html",
        {
            "products": queries.products_with_sales(),
            "form": form,
            "editing": editing,
            "can_edit": can_edit,
            "query": downloads.query_without_format(request),
        },
    )


# --- satisfaction ---------------------------------------------------------------------------
@require_POST
def answer_new(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = AnswerForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            services.record_answer(request.user, customer, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Answer recorded."))
    else:
        messages.error(
            request,
            errors_text(form),
        )
    return redirect(f"{_customer_url(customer.pk)}#satisfaction")


def _customer_url(pk) -> str:
    from django.urls import reverse

    return reverse("customers:detail", args=[pk])


# --- feedback and complaints ----------------------------------------------------------------
def feedback_list(request):
    params = {
        "customer": _number(request, "customer"),
        "open": bool(request.GET.get("open")),
        "kind": _choice(request, "kind", Feedback.Kind.values),
        "category": _choice(request, "category", Feedback.Category.values),
        "mine": bool(request.GET.get("mine")),
    }
    rows = queries.feedback_list(request.user, params).order_by("-opened_at", "-pk")
    if downloads.wanted(request):
        return downloads.respond(
            request,
            _("Feedback and complaints"),
            exports.feedback_columns(),
            exports.feedback_rows(rows),
        )
    trends = queries.feedback_trends(request.user)
    labels = dict(Feedback.Category.choices)
    return render(
        request,
        "sales/feedback_list.html",
        {
            "items": rows[:LIST_LIMIT],
            "limit": LIST_LIMIT,
            "params": params,
            "kinds": Feedback.Kind.choices,
            "categories": Feedback.Category.choices,
            "trends": trends,
            "trend_chart": _trend_chart(trends),
            "by_category": [
                (key, labels[key], n, trends["days_to_resolve"].get(key))
                for key, n in trends["by_category"].items()
            ],
            "query": downloads.query_without_format(request),
        },
    )


def _trend_chart(trends) -> dict:
    labels = dict(Feedback.Category.choices)
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"left": 40, "right": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": trends["months"]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": str(label),
                "type": "bar",
                "stack": "all",
                "data": [trends["counts"][m].get(key, 0) for m in trends["months"]],
            }
            for key, label in labels.items()
        ],
    }


def feedback_new(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    form = FeedbackForm(
        request.POST or None,
        owners=_owners(request.user, customer),
        initial={"owner": customer.owner_id or request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.open_feedback(request.user, customer, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("sales:feedback-detail", pk=item.pk)
    return render(request, "sales/feedback_form.html", {"form": form, "customer": customer})


def feedback_detail(request, pk):
    item = get_object_or_404(
        access.visible(request.user, Feedback).select_related("customer", "owner"), pk=pk
    )
    can_edit = access.can_edit_customer(request.user, item.customer)
    form = FeedbackUpdateForm(
        request.POST or None, instance=item, owners=_owners(request.user, item.customer)
    )
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.update_feedback(
                    request.user,
                    item,
                    form.cleaned_data,
                    version=int(request.POST.get("version") or 0),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("sales:feedback-detail", pk=item.pk)
    item.refresh_from_db()
    return render(
        request, "sales/feedback_detail.html", {"item": item, "form": form, "can_edit": can_edit}
    )


# --- lifecycle figures and churn warnings ---------------------------------------------------
def _scope(request) -> lifecycle.Scope:
    team = user = None
    if (request.GET.get("team") or "").isdigit():
        team = get_object_or_404(Team, pk=int(request.GET["team"]))
    if (request.GET.get("user") or "").isdigit():
        user = get_object_or_404(User, pk=int(request.GET["user"]))
    return lifecycle.scope_for(request.user, team=team, user=user)


def _scope_choices(actor):
    """The teams and people whose figures the actor may open."""
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        teams = Team.objects.all()
    elif (actor.is_manager or actor.is_read_only) and actor.team_id:
        teams = Team.objects.filter(pk__in=access.team_subtree_ids(actor.team))
    else:
        return [], []
    people = User.objects.filter(is_active=True, team__in=teams).exclude(role=User.Role.VIEWER)
    return list(teams.order_by("path")), list(people.order_by("name"))


def lifecycle_page(request):
    today = timezone.localdate()
    start = date_param(request, "start") or date(today.year, 1, 1)
    end = date_param(request, "end") or today
    if end < start:
        start, end = end, start
    scope = _scope(request)
    figures = lifecycle.figures(scope, start, end, today)
    by_team = queries.satisfaction_breakdown(request.user, start, end, "team")
    by_tier = queries.satisfaction_breakdown(request.user, start, end, "tier")
    if downloads.wanted(request):  # the figures; in .xlsx the two satisfaction tables too
        return downloads.respond_book(
            request,
            _("Customer lifecycle"),
            exports.lifecycle_book(figures, scope, start, end, by_team, by_tier),
        )
    teams, people = _scope_choices(request.user)
    return render(
        request,
        "sales/lifecycle.html",
        {
            "figures": figures,
            "scope": scope,
            "start": start,
            "end": end,
            "teams": teams,
            "people": people,
            "by_team": by_team,
            "by_tier": by_tier,
            "churn_days": lifecycle.settings.KEHU_CHURN_DAYS,
            "query": downloads.query_without_format(request),
        },
    )


def warnings_page(request):
    scope = _scope(request) if request.GET.get("team") or request.GET.get("user") else None
    teams, people = _scope_choices(request.user)
    tab = "winback" if request.GET.get("tab") == "winback" else "risk"
    query = downloads.query_without_format(request)
    context = {"scope": scope, "teams": teams, "people": people, "tab": tab, "query": query}
    if tab == "winback":
        churned = (
            churn.churned_customers(request.user, scope)
            .select_related("owner")
            .order_by("-purchase_total", "pk")
        )
        if downloads.wanted(request):  # every churned customer, not only the first LIST_LIMIT
            return downloads.respond(
                request,
                capfirst(_("churned customers")),
                exports.churned_columns(),
                exports.churned_rows(churned),
            )
        context["churned"] = churned[:LIST_LIMIT]
        context["winback_planned"] = winback.planned_ids([c.pk for c in context["churned"]])
    elif downloads.wanted(request):  # every customer at risk, not only the first LIST_LIMIT
        return downloads.respond(
            request,
            _("Churn warnings"),
            exports.warning_columns(),
            exports.warning_rows(churn.every_churn_warning(request.user, scope)),
        )
    else:
        warnings, total = churn.churn_warnings(request.user, scope, limit=LIST_LIMIT)
        context.update(warnings=warnings, total=total)
    context["limit"] = LIST_LIMIT
    return render(request, "sales/warnings.html", context)


@require_POST
def plan_winback(request, customer_pk):
    customer = access.get_customer(request.user, customer_pk, write=True)
    try:
        planned = winback.plan(request.user, customer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Win-back plan for %(name)s: %(n)s follow-ups planned.")
            % {"name": customer.name, "n": len(planned)},
        )
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = _customer_url(customer.pk)
    return redirect(nxt)
