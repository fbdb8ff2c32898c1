"""Webhooks: URLs an admin registers for product events, and the log of every delivery to them.

A delivery is created in the transaction that raised the event (kehu.webhooks.events.emit) and
sent by a background job after commit; its row records each attempt's outcome and when the
next retry is due."""

import json
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer updated")
    TIER_CHANGED = "tier.changed", _("Tier changed")
    DEAL_STAGE_CHANGED = "deal.stage_changed", _("Deal moved to another stage")
    INTERACTION_LOGGED = "interaction.logged", _("Interaction logged")
    IMPORT_FINISHED = "import.finished", _("Import finished")


# the test event an admin sends by hand; endpoints do not subscribe to it
PING = "ping"


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


class Endpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # a subset of Event values
    events = models.JSONField(_("events"), default=list)
    # kept in clear: it signs every delivery (HMAC), so it cannot be a one-way hash
    secret = models.CharField(_("secret"), max_length=80, default=new_secret, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url

    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [str(labels.get(e, e)) for e in self.events]


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")

    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40)
    # the same across retries and redeliveries: receivers deduplicate on it
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the retry scan: due pending/failed deliveries
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
            # an endpoint's log, newest first
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"

    @property
    def event_label(self) -> str:
        return str(dict(Event.choices).get(self.event, self.event))

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, indent=2)
