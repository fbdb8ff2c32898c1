"""Every write of webhooks an admin makes: registering and changing endpoints, rotating their
secret, sending a test event, redelivering. Admins and directors only."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kehu.accounts import access

from . import events
from .models import PING, Delivery, Endpoint, Event, new_secret


class StaleEndpoint(Exception):
    """Someone else saved the endpoint after this form was opened."""

    def __init__(self):
        super().__init__(
            _("Someone saved this webhook after you opened it. Review it and edit again.")
        )


def can_manage(actor) -> bool:
    return actor.is_authenticated and actor.is_active and actor.sees_everything


def get_endpoint(actor, pk) -> Endpoint:
    """The endpoint for an admin or director; 404 for everyone else."""
    from django.http import Http404

    if not can_manage(actor):
        raise Http404
    try:
        return Endpoint.objects.select_related("created_by").get(pk=pk)
    except (Endpoint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _clean(data: dict) -> dict:
    errors = {}
    url = (data.get("url") or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = [_("Enter an http:// or https:// URL.")]
    chosen = list(dict.fromkeys(data.get("events") or []))
    if not chosen:
        errors["events"] = [_("Choose at least one event.")]
    elif any(e not in Event.values for e in chosen):
        errors["events"] = [_("Choose events from the list.")]
    if errors:
        raise ValidationError(errors)
    return {
        "url": url,
        "events": [e for e in Event.values if e in chosen],
        "description": (data.get("description") or "").strip()[:200],
        "active": bool(data.get("active", True)),
    }


@transaction.atomic
def create_endpoint(actor, data: dict) -> Endpoint:
    """Registers a URL; its secret is generated here and shown to the admin once."""
    access.require(can_manage(actor))
    return Endpoint.objects.create(created_by=actor, **_clean(data))


@transaction.atomic
def update_endpoint(actor, endpoint: Endpoint, data: dict, *, version: int | None) -> Endpoint:
    access.require(can_manage(actor))
    fields = _clean(data)
    current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if version is not None and current.version != version:
        raise StaleEndpoint()
    for key, value in fields.items():
        setattr(current, key, value)
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    return current


@transaction.atomic
def rotate_secret(actor, endpoint: Endpoint) -> Endpoint:
    """A new secret; deliveries signed from now on use it (retries included)."""
    access.require(can_manage(actor))
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=new_secret(), version=F("version") + 1)
    endpoint.refresh_from_db()
    return endpoint


def _require_active(endpoint: Endpoint) -> None:
    if not endpoint.active:
        raise ValidationError({"active": [_("This webhook is inactive: activate it first.")]})


@transaction.atomic
def send_test(actor, endpoint: Endpoint) -> Delivery:
    """A `ping` event to this endpoint only, whatever it subscribes to."""
    access.require(can_manage(actor))
    _require_active(endpoint)
    body = events.payload(PING, {"endpoint_id": endpoint.pk, "by_id": actor.pk})
    return events.queue([endpoint.pk], PING, body)[0]


@transaction.atomic
def redeliver(actor, delivery: Delivery) -> Delivery:
    """Sends a delivery's payload again as a new delivery (same event id, so a receiver that
    already has it can tell), with fresh attempts."""
    access.require(can_manage(actor))
    _require_active(delivery.endpoint)
    return events.queue([delivery.endpoint_id], delivery.event, delivery.payload)[0]
