"""Personal API tokens: created (the plaintext returned once), revoked, and checked on every
API request."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core.text import clean_text

from .models import ApiToken

PREFIX = "kehu_"
MAX_ACTIVE = 20
# last_used_at is a hint for the owner, not an audit trail: writing it on every request would
# turn each API read into a write (and a lock on SQLite)
TOUCH_EVERY = timedelta(minutes=1)


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def create_token(actor, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it and its plaintext, which is never stored."""
    access.require(actor.is_authenticated and actor.is_active)
    name = clean_text(name)
    if not name:
        raise ValidationError({"name": [_("Give the token a name.")]})
    if len(name) > 80:
        raise ValidationError({"name": [_("Keep the name under 80 characters.")]})
    if actor.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE:
        raise ValidationError(
            {"name": [_("You have %(n)s active tokens: revoke one first.") % {"n": MAX_ACTIVE}]}
        )
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=plaintext[: len(PREFIX) + 6], digest=digest(plaintext)
    )
    return token, plaintext


@transaction.atomic
def revoke_token(actor, token: ApiToken) -> ApiToken:
    """Revokes one of the actor's own tokens (someone else's is a 404); revoking twice is
    harmless."""
    token = ApiToken.objects.select_for_update().filter(pk=token.pk, user_id=actor.pk).first()
    if token is None:
        raise Http404(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for(plaintext: str):
    """The active user a live token belongs to, or None (unknown, revoked, user inactive)."""
    if not plaintext or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=digest(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user):
    return ApiToken.objects.filter(user=user)
