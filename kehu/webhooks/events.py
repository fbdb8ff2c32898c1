"""Raising webhook events from the services.

`emit(event, data)` is called inside the service's transaction, after its write: it creates one
Delivery per active endpoint subscribed to the event (a single INSERT) and enqueues the sending
jobs on commit, so a rolled-back write sends nothing and the request never waits for a receiver.

Payloads are small: ids and the main fields, never whole records. Bulk writes raise one event
for the whole batch: an import of 100,000 rows raises `import.finished` with its counts, never a
`customer.created` per row (the importer writes inside `muted()`, so even the services it calls
per row, such as move_stage for a deals sheet, raise nothing); applying approved tier changes
raises `tier.changed` with the list of changes (in chunks of TIER_CHUNK).
"""

import json
import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import Delivery, Endpoint, Event

logger = logging.getLogger("kehu.webhooks")

TIER_CHUNK = 500
_muted: ContextVar[bool] = ContextVar("webhooks_muted", default=False)


@contextmanager
def muted():
    """No per-record events inside (an import writing deals through move_stage row by row):
    the bulk operation raises its own summary event instead."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def emit(event: str, data: dict) -> list[Delivery]:
    """Queues `event` for every active endpoint subscribed to it; returns the deliveries."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if _muted.get():
        return []
    # a handful of rows: filtering the JSON list in Python works the same on SQLite and PostgreSQL
    endpoints = [
        pk
        for pk, events in Endpoint.objects.filter(active=True).values_list("pk", "events")
        if event in events
    ]
    if not endpoints:
        return []
    return queue(endpoints, event, payload(event, data))


def payload(event: str, data: dict, event_id: uuid.UUID | None = None) -> dict:
    event_id = event_id or uuid.uuid4()
    body = {
        "id": str(event_id),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
    # dates, decimals and lazy strings become plain JSON once, here
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def queue(endpoint_ids: list[int], event: str, body: dict) -> list[Delivery]:
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            endpoint_id=pk,
            event=event,
            event_id=uuid.UUID(body["id"]),
            payload=body,
            next_attempt_at=now,
        )
        for pk in endpoint_ids
    )
    ids = [d.pk for d in deliveries]
    if ids[0] is None:  # backends that do not return ids from a bulk insert
        ids = list(
            Delivery.objects.filter(event_id=deliveries[0].event_id).values_list("pk", flat=True)
        )
    transaction.on_commit(partial(_enqueue, ids), robust=True)
    return deliveries


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver

    for pk in ids:
        try:
            deliver.enqueue(pk)
        except Exception:  # the retry scan sends it later; the request that raised it goes on
            logger.exception("webhook delivery %s could not be enqueued", pk)


# --- the payloads' data -------------------------------------------------------------------------
def customer_data(customer) -> dict:
    return {
        "customer_id": customer.pk,
        "name": customer.name,
        "tier": customer.tier,
        "status": customer.status,
        "owner_id": customer.owner_id,
        "team_id": customer.team_id,
    }


def deal_data(deal, to_stage) -> dict:
    """Called before the deal's stage is replaced: `deal.stage` is the stage it leaves."""

    def stage(s):
        return {"id": s.pk, "name": s.name, "kind": s.kind}

    return {
        "deal_id": deal.pk,
        "customer_id": deal.customer_id,
        "title": deal.title,
        "amount": deal.amount,
        "owner_id": deal.owner_id,
        "from_stage": stage(deal.stage),
        "to_stage": stage(to_stage),
    }


def interaction_data(interaction) -> dict:
    return {
        "interaction_id": interaction.pk,
        "customer_id": interaction.customer_id,
        "user_id": interaction.user_id,
        "method": interaction.method,
        "at": interaction.at,
        "deal_id": interaction.deal_id,
    }


def import_data(batch) -> dict:
    return {
        "batch_id": batch.pk,
        "kind": batch.kind,
        "filename": batch.filename,
        "status": batch.status,
        "rows": batch.total,
        "counts": {k: v for k, v in (batch.summary or {}).items() if isinstance(v, int)},
        "by_id": batch.created_by_id,
        "committed_at": batch.committed_at,
    }


def tier_changed(changes) -> None:
    """`tier.changed` for applied TierChange rows (one event per TIER_CHUNK changes)."""
    rows = [
        {
            "customer_id": c.customer_id,
            "from_tier": c.from_tier,
            "to_tier": c.to_tier,
            "source": c.source,
        }
        for c in changes
    ]
    for start in range(0, len(rows), TIER_CHUNK):
        emit(Event.TIER_CHANGED, {"changes": rows[start : start + TIER_CHUNK]})
