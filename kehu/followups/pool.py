"""The public pool (公海): neglected customers are released from their owner, reps claim them
back within limits. Every move is a PoolEvent, an audit entry on the customer's timeline, and
a notification for the owner who lost it."""

import json
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core import audit, bulk
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer

from .models import FollowUp, Notification, PoolEvent, PoolRule
from .services import plan_customer

# leads go back after 30 days untouched; customers after 90 (A), 60 (B) or 45 days
DEFAULT_RULES = [("", "lead", 30), ("A", "", 90), ("B", "", 60), ("", "", 45)]


def ensure_default_rules() -> None:
    if not PoolRule.objects.exists():
        PoolRule.objects.bulk_create(
            PoolRule(tier=t, status=s, days=d) for t, s, d in DEFAULT_RULES
        )


def rule_days(rules, tier: str, status: str) -> int | None:
    """The most specific rule's days: tier and status, then tier, then status, then any."""
    table = {(r.tier, r.status): r.days for r in rules}
    for key in ((tier, status), (tier, ""), ("", status), ("", "")):
        if key in table:
            return table[key]
    return None


@transaction.atomic
def save_rules(actor, rows: list[dict]) -> None:
    access.require(actor.sees_everything, _("Only a director can change the pool rules."))
    errors = {}
    for i, row in enumerate(rows, start=1):
        if row["tier"] and row["tier"] not in Customer.TIERS:
            errors.setdefault("tier", []).append(_("Row %(row)s: choose a tier.") % {"row": i})
        if row["status"] and row["status"] not in Customer.Status.values:
            errors.setdefault("status", []).append(_("Row %(row)s: choose a status.") % {"row": i})
        if not 1 <= int(row["days"]) <= 3650:
            errors.setdefault("days", []).append(
                _("Row %(row)s: between 1 and 3650 days.") % {"row": i}
            )
    keys = [(r["tier"], r["status"]) for r in rows]
    if len(set(keys)) != len(keys):
        errors.setdefault("tier", []).append(_("Two rules apply to the same tier and status."))
    if errors:
        raise ValidationError(errors)
    PoolRule.objects.all().delete()
    PoolRule.objects.bulk_create(
        PoolRule(tier=r["tier"], status=r["status"], days=int(r["days"])) for r in rows
    )


def _text_for(user_id, languages, message, **values) -> str:
    with translation.override(languages.get(user_id) or settings.LANGUAGE_CODE):
        return (_(message) % values)[:300]


def recycle(now=None) -> int:
    """Releases every owned customer whose last interaction (or creation, if never contacted)
    is older than its rule's days: owner cleared, open follow-ups cancelled, a PoolEvent and
    an audit entry each, one notification per owner. Set-based: one read, NumPy to match the
    rules, then a few statements over a temporary table of the released ids."""
    now = now or timezone.now()
    rules = list(PoolRule.objects.all())
    if not rules:
        return 0
    q = connection.ops.quote_name
    epoch = "unixepoch({})" if connection.vendor == "sqlite" else "EXTRACT(EPOCH FROM {})::float8"
    customers = q(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, owner_id, tier, status, "
            f"{epoch.format('COALESCE(last_contact_at, created_at)')} "
            f"FROM {customers} WHERE owner_id IS NOT NULL AND pooled_at IS NULL"
        )
        rows = cursor.fetchall()
    if not rows:
        return 0
    keys = [(r[2] or "", r[3] or "") for r in rows]
    limits = {key: rule_days(rules, *key) for key in set(keys)}
    days = np.array([np.inf if limits[k] is None else limits[k] for k in keys])
    last = np.fromiter((r[4] for r in rows), np.float64, len(rows))
    due = np.flatnonzero((now.timestamp() - last) / 86400 > days)
    if not len(due):
        return 0
    released = {rows[i][0]: (rows[i][1], int(days[i])) for i in due}
    with transaction.atomic(), bulk.id_table(released) as ids:
        with connection.cursor() as cursor:
            # Only customers still owned and not pooled: another worker running the same job
            # (or a claim in between) got there first for the others, which are left alone.
            # PostgreSQL's UPDATE waits for their row locks and checks again; SQLite has one
            # writer at a time.
            cursor.execute(
                f"UPDATE {customers} SET owner_id = NULL, pooled_at = %s, next_followup_at = NULL, "
                f"version = version + 1 WHERE id IN (SELECT id FROM {q(ids)}) "
                f"AND owner_id IS NOT NULL AND pooled_at IS NULL RETURNING id",
                [connection.ops.adapt_datetimefield_value(now)],
            )
            done = {row[0] for row in cursor.fetchall()}
            if len(done) < len(released):
                gone = [(cid,) for cid in released if cid not in done]
                cursor.executemany(f"DELETE FROM {q(ids)} WHERE id = %s", gone)
                released = {cid: value for cid, value in released.items() if cid in done}
                if not released:
                    return 0
            cursor.execute(f"SELECT c.id, c.name FROM {customers} c JOIN {q(ids)} t ON c.id = t.id")
            names = dict(cursor.fetchall())
            cursor.execute(
                f"UPDATE {q(FollowUp._meta.db_table)} SET status = %s, result = %s "
                f"WHERE status IN (%s, %s) AND customer_id IN (SELECT id FROM {q(ids)})",
                [
                    FollowUp.Status.CANCELLED,
                    _system(gettext_noop("Released to the public pool.")),
                    *FollowUp.OPEN,
                ],
            )
        _record_releases(released, names, now)
    return len(released)


def _system(message, **values) -> str:
    """Text kept in records (reasons, results) is written in the install's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values if values else _(message)


def _record_releases(released: dict, names: dict, now) -> None:
    stamp = connection.ops.adapt_datetimefield_value(now)
    owner_names = dict(User.objects.values_list("pk", "name"))
    reasons = {
        d: _system(gettext_noop("No interaction for %(days)s days."), days=d)
        for _, d in released.values()
    }
    bulk.insert_rows(
        PoolEvent._meta.db_table,
        ["customer_id", "kind", "user_id", "by_id", "reason", "at"],
        (
            (cid, PoolEvent.Kind.RELEASE.value, owner, None, reasons[d], stamp)
            for cid, (owner, d) in released.items()
        ),
    )
    bulk.insert_rows(
        AuditEvent._meta.db_table,
        ["at", "actor_id", "action", "model", "object_id", "object_repr", "customer_id", "changes"],
        (
            (
                stamp,
                None,
                AuditEvent.Action.UPDATE.value,
                "customers.customer",
                cid,
                names.get(cid, "")[:200],
                cid,
                json.dumps(
                    _pool_changes(owner_names.get(owner, ""), "", reasons[d]), ensure_ascii=False
                ),
            )
            for cid, (owner, d) in released.items()
        ),
    )
    per_owner: dict[int, int] = {}
    for owner, _days in released.values():
        per_owner[owner] = per_owner.get(owner, 0) + 1
    languages = dict(User.objects.values_list("pk", "language"))
    Notification.objects.bulk_create(
        Notification(
            user_id=owner,
            text=_text_for(
                owner,
                languages,
                gettext_noop(
                    "%(n)s of your customers had no interaction for too long and went back "
                    "to the public pool."
                ),
                n=n,
            ),
            url=reverse("followups:pool"),
        )
        for owner, n in per_owner.items()
    )


def _pool_changes(old_owner: str, new_owner: str, note: str) -> list[dict]:
    return [
        audit.field_change(Customer, "owner", old_owner, new_owner),
        audit.field_change(Customer, "pooled_at", "", note)
        if note
        else audit.field_change(Customer, "pooled_at", _system(gettext_noop("in the pool")), ""),
    ]


# --- by hand --------------------------------------------------------------------------------------
@transaction.atomic
def release(actor, customer: Customer, reason: str) -> PoolEvent:
    """The owner (or their manager, or a director) gives a customer up to the pool."""
    customer = access.get_customer(actor, customer.pk, write=True)
    if customer.owner_id is None or customer.pooled_at:
        raise ValidationError({"customer": [_("This customer has no owner to release from.")]})
    if not (customer.owner_id == actor.pk or access.can_reassign_customer(actor, customer)):
        raise access.AccessDenied(_("Only the owner or their manager can release a customer."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the customer goes back to the pool.")]})
    now = timezone.now()
    old_owner = customer.owner
    Customer.objects.filter(pk=customer.pk).update(
        owner=None,
        pooled_at=now,
        next_followup_at=None,
        updated_by=actor,
        updated_at=now,
        version=F("version") + 1,
    )
    FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN).update(
        status=FollowUp.Status.CANCELLED,
        result=_system(gettext_noop("Released to the public pool.")),
    )
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        customer,
        customer_id=customer.pk,
        changes=_pool_changes(str(old_owner), "", reason.strip()),
    )
    return PoolEvent.objects.create(
        customer=customer,
        kind=PoolEvent.Kind.RELEASE,
        user=old_owner,
        by=actor,
        reason=reason.strip()[:300],
    )


def pool_customers(actor):
    """The pool as the actor sees it: every pooled customer for sales people (the pool is
    public by design), nothing for viewers."""
    if actor.is_read_only:
        return Customer.objects.none()
    return Customer.objects.filter(pooled_at__isnull=False)


def claim_limits(actor, now=None) -> dict:
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    claimed = PoolEvent.objects.filter(kind=PoolEvent.Kind.CLAIM, user=actor, at__gte=start).count()
    owned = Customer.objects.filter(owner=actor).count()
    return {
        "claimed_today": claimed,
        "per_day": settings.KEHU_POOL_CLAIMS_PER_DAY,
        "owned": owned,
        "max_owned": settings.KEHU_POOL_MAX_OWNED,
    }


@transaction.atomic
def claim(actor, customer: Customer, now=None) -> Customer:
    """A rep (or manager) takes a pooled customer: within the claims per day and the maximum
    owned, and not one released from them within the cool-down."""
    now = now or timezone.now()
    if actor.is_read_only or actor.role not in (User.Role.REP, User.Role.MANAGER):
        raise access.AccessDenied(_("Only sales people can claim customers from the pool."))
    try:
        customer = pool_customers(actor).select_for_update().get(pk=customer.pk)
    except Customer.DoesNotExist:
        raise ValidationError(
            {"customer": [_("This customer is no longer in the pool.")]}
        ) from None
    limits = claim_limits(actor, now)
    if limits["claimed_today"] >= limits["per_day"]:
        raise ValidationError(
            {
                "customer": [
                    _("You have claimed %(n)s customers today, the daily limit.")
                    % {"n": limits["per_day"]}
                ]
            }
        )
    if limits["owned"] >= limits["max_owned"]:
        raise ValidationError(
            {
                "customer": [
                    _("You already own %(n)s customers, the most one person may own.")
                    % {"n": limits["max_owned"]}
                ]
            }
        )
    cooldown = now - timedelta(days=settings.KEHU_POOL_COOLDOWN_DAYS)
    if PoolEvent.objects.filter(
        customer=customer, kind=PoolEvent.Kind.RELEASE, user=actor, at__gte=cooldown
    ).exists():
        raise ValidationError(
            {
                "customer": [
                    _(
                        "This customer left you less than %(days)s days ago; "
                        "someone else may claim it first."
                    )
                    % {"days": settings.KEHU_POOL_COOLDOWN_DAYS}
                ]
            }
        )
    Customer.objects.filter(pk=customer.pk).update(
        owner=actor,
        team_id=actor.team_id,
        pooled_at=None,
        updated_by=actor,
        updated_at=now,
        version=F("version") + 1,
    )
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        customer,
        customer_id=customer.pk,
        changes=_pool_changes("", str(actor), ""),
    )
    PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.CLAIM, user=actor, by=actor)
    customer.refresh_from_db()
    plan_customer(customer)
    return customer
