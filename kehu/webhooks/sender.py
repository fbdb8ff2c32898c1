"""Sending one delivery: sign, POST, record the outcome, schedule the retry.

The signature is `sha256=` + hex HMAC-SHA256 of f"{timestamp}.{body}" with the endpoint's
secret, where body is the exact bytes sent (README: "Webhooks" shows how to verify it).
"""

import codecs
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Delivery, Endpoint

TIMEOUT = 5  # seconds per attempt
# after the 1st … 5th failed attempt; the 6th failure gives up
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# while an attempt runs its row is leased: no second worker (or the retry scan) takes it
LEASE = timedelta(seconds=TIMEOUT * 6)
BODY_LIMIT = 2048
SCHEMES = ("http", "https")


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # a redirect would send the signed payload to a URL nobody registered: it counts as a
    # failed attempt instead (the 3xx is recorded)
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Response:
    code: int | None = None
    body: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def _read(stream) -> str:
    try:
        data = stream.read(BODY_LIMIT + 1)
    except Exception:  # noqa: BLE001 - a body that cannot be read is only not logged
        return ""
    # not final: a character cut in half at the limit is dropped, not shown as garbage
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(data[:BODY_LIMIT])
    return text + ("…" if len(data) > BODY_LIMIT else "")


def post(url: str, body: bytes, headers: dict) -> Response:
    """One POST; never raises (network errors come back in `error`)."""
    if urllib.parse.urlsplit(url).scheme.lower() not in SCHEMES:
        return Response(error="refused: only http and https URLs are sent to")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    out = Response()
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            out.code, out.body = response.status, _read(response)
    except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx
        out.code, out.body = exc.code, _read(exc)
        out.error = f"HTTP {exc.code} {exc.reason}"[:500]
    except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, TLS, bad URLs
        out.error = f"{type(exc).__name__}: {exc}"[:500]
    out.duration_ms = int((time.monotonic() - started) * 1000)
    return out


def headers_for(delivery: Delivery, secret: str, body: bytes, timestamp: str) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Kehu-Webhooks/1",
        "X-Kehu-Event": delivery.event,
        "X-Kehu-Delivery": str(delivery.event_id),
        "X-Kehu-Timestamp": timestamp,
        "X-Kehu-Signature": sign(secret, timestamp, body),
    }


def _claim(delivery_id: int, now) -> bool:
    """Takes the delivery for one attempt if it is due: one conditional UPDATE, so a deferred
    retry and the retry scan never send the same attempt twice."""
    return bool(
        Delivery.objects.filter(
            pk=delivery_id,
            status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
            next_attempt_at__lte=now,
        ).update(next_attempt_at=now + LEASE)
    )


def attempt(delivery_id: int) -> str:
    """Sends the delivery once if it is due; returns its status afterwards."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        # deactivated after the event: nothing is sent to it any more
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.GAVE_UP, next_attempt_at=None, error="endpoint inactive"
        )
        return Delivery.Status.GAVE_UP
    body = body_of(delivery.payload)
    timestamp = str(int(time.time()))
    response = post(endpoint.url, body, headers_for(delivery, endpoint.secret, body, timestamp))
    return record(delivery, response)


def record(delivery: Delivery, response: Response) -> str:
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {
        "attempts": attempts,
        "response_code": response.code,
        "response_body": response.body,
        "error": response.error,
        "duration_ms": response.duration_ms,
    }
    if response.ok:
        fields.update(status=Delivery.Status.SENT, next_attempt_at=None, delivered_at=now)
    elif attempts >= MAX_ATTEMPTS:
        fields.update(status=Delivery.Status.GAVE_UP, next_attempt_at=None)
    else:
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=now + BACKOFF[attempts - 1])
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        if fields["status"] == Delivery.Status.GAVE_UP:
            _notify_gave_up(delivery)
    if fields["status"] == Delivery.Status.FAILED:
        transaction.on_commit(
            lambda: schedule_retry(delivery.pk, fields["next_attempt_at"]), robust=True
        )
    return fields["status"]


def schedule_retry(delivery_id: int, when) -> None:
    """A backend that runs jobs later (the database one) gets the retry at its time; with one
    that cannot (the immediate backend of the tests) the retry scan picks it up."""
    from .tasks import deliver

    if deliver.get_backend().supports_defer:
        deliver.using(run_after=when).enqueue(delivery_id)


def _notify_gave_up(delivery: Delivery) -> None:
    from kehu.accounts.models import User
    from kehu.followups.services import notify

    endpoint: Endpoint = delivery.endpoint
    if endpoint.created_by_id is None:
        return
    language = (
        User.objects.filter(pk=endpoint.created_by_id).values_list("language", flat=True).first()
    )
    with translation.override(language or settings.LANGUAGE_CODE):
        text = _("Webhook %(event)s to %(url)s failed %(count)s times; Kehu gave up.") % {
            "event": delivery.event,
            "url": endpoint.url,
            "count": MAX_ATTEMPTS,
        }
    notify([endpoint.created_by_id], text, url=reverse("webhooks:detail", args=[endpoint.pk]))


def retry_due(now=None, limit: int = 1000) -> int:
    """Enqueues the deliveries whose next attempt has come (pending ones whose job was lost,
    failed ones whose retry is due). Returns how many."""
    from .tasks import deliver

    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        deliver.enqueue(pk)
    return len(ids)
