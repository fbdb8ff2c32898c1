"""Webhook pages, for admins and directors (404 for everyone else)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.forms import add_errors

from . import services
from .forms import EndpointForm
from .models import Delivery, Endpoint

PAGE = 50
SECRET_KEY = "webhooks:new-secret"  # the secret shown once, carried over one redirect


def _require(request) -> None:
    if not services.can_manage(request.user):
        raise Http404


def endpoint_list(request):
    _require(request)
    last = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    endpoints = Endpoint.objects.annotate(
        last_event=Subquery(last.values("event")[:1]),
        last_status=Subquery(last.values("status")[:1]),
        last_code=Subquery(last.values("response_code")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    )
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": endpoints, "statuses": dict(Delivery.Status.choices)},
    )


def _show_secret_once(request, endpoint: Endpoint):
    request.session[SECRET_KEY] = [endpoint.pk, endpoint.secret]
    return redirect("webhooks:detail", endpoint.pk)


def endpoint_create(request):
    _require(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(request.user, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Webhook registered."))
            return _show_secret_once(request, endpoint)
    return render(request, "webhooks/form.html", {"form": form, "endpoint": None})


def endpoint_edit(request, pk):
    endpoint = services.get_endpoint(request.user, pk)
    initial = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.active,
        "version": endpoint.version,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(
                request.user, endpoint, form.cleaned_data, version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except services.StaleEndpoint as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:detail", endpoint.pk)
    return render(request, "webhooks/form.html", {"form": form, "endpoint": endpoint})


def endpoint_detail(request, pk):
    endpoint = services.get_endpoint(request.user, pk)
    shown = request.session.pop(SECRET_KEY, None)
    secret = shown[1] if shown and shown[0] == endpoint.pk else None
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk")
    before = request.GET.get("before", "")
    if before.isdigit():  # keyset paging: the log grows without bound
        deliveries = deliveries.filter(pk__lt=int(before))
    rows = list(deliveries[: PAGE + 1])
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "secret": secret,
            "deliveries": rows[:PAGE],
            "older": rows[PAGE - 1].pk if len(rows) > PAGE else None,
        },
    )


@require_POST
def rotate_secret(request, pk):
    endpoint = services.rotate_secret(request.user, services.get_endpoint(request.user, pk))
    messages.success(request, _("New secret made. Update your receiver: the old one is void."))
    return _show_secret_once(request, endpoint)


@require_POST
def send_test(request, pk):
    endpoint = services.get_endpoint(request.user, pk)
    try:
        services.send_test(request.user, endpoint)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Test event queued; its delivery shows below."))
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
def redeliver(request, pk):
    _require(request)
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    try:
        services.redeliver(request.user, delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("webhooks:detail", delivery.endpoint_id)
