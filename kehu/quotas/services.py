"""Every write of service quotas: defining a quota and its allowances per tier, logging a use
against a customer's allowance, and a manager's decision on an over-use.

A use within what is left of the allowance is approved at once. Beyond it, the quota's policy
decides: refused with the figures, or kept as pending and the manager of the customer's team
told. Two uses logged at the same moment cannot both slip under the allowance: the customer's
row is locked while the remainder is computed and the use written."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core.money import parse_amount
from kehu.customers.models import Customer

from . import periods
from .models import Period, Quota, QuotaAllowance, QuotaUsage

CENT = Decimal("0.01")


def can_configure(actor) -> bool:
    return actor.sees_everything and not actor.is_read_only


def _amount(value, field: str, errors: dict, *, positive: bool) -> Decimal | None:
    # a DecimalField(12, 2)
    return parse_amount(value, field, errors, positive=positive, maximum=Decimal("9999999999.99"))


def fmt(amount: Decimal) -> str:
    """An amount as people write it: 20, 7.5, 1,200 (no trailing zeros)."""
    text = f"{amount:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- quota definitions ----------------------------------------------------------------------
@transaction.atomic
def save_quota(actor, data: dict, quota: Quota | None = None, *, version=None) -> Quota:
    """Creates or changes a quota and its allowance per tier (`allowance_A`, `allowance_B` …;
    blank: that tier has none). Directors and admins only; a stale form is refused."""
    access.require(can_configure(actor))
    errors: dict = {}
    name = str(data.get("name", "")).strip()[:50]
    if not name:
        errors["name"] = [_("Enter the quota's name.")]
    elif Quota.objects.filter(name=name).exclude(pk=getattr(quota, "pk", None)).exists():
        errors["name"] = [_("There is already a quota called “%(name)s”.") % {"name": name}]
    unit = str(data.get("unit", "")).strip()[:20]
    if not unit:
        errors["unit"] = [_("Enter the unit (hours, %, pieces …).")]
    kind = data.get("kind") or Quota.Kind.ALLOWANCE
    if kind not in Quota.Kind.values:
        errors["kind"] = [_("Choose allowance or ceiling.")]
    period = data.get("period") or (Period.NONE if kind == Quota.Kind.CEILING else "")
    if period not in Period.values:
        errors["period"] = [_("Choose a period.")]
    elif kind == Quota.Kind.CEILING and period != Period.NONE:
        errors["period"] = [_("A ceiling applies to each use: its period is “per use”.")]
    elif kind == Quota.Kind.ALLOWANCE and period == Period.NONE:
        errors["period"] = [_("An allowance is counted per month, quarter or year.")]
    over_use = data.get("over_use") or Quota.OverUse.APPROVAL
    if over_use not in Quota.OverUse.values:
        errors["over_use"] = [_("Choose what happens on over-use.")]
    allowances = {}
    for tier in Customer.TIERS:
        raw = data.get(f"allowance_{tier}")
        if raw not in (None, ""):
            allowances[tier] = _amount(raw, f"allowance_{tier}", errors, positive=False)
    if quota is not None:
        current = Quota.objects.select_for_update().get(pk=quota.pk)
        if version is not None and current.version != int(version):
            errors[None] = [_("Someone changed this quota after you opened it. Reload it.")]
        quota = current
    if errors:
        raise ValidationError({k or "__all__": v for k, v in errors.items()})
    quota = quota or Quota()
    quota.name, quota.unit, quota.kind, quota.period = name, unit, kind, period
    quota.over_use, quota.active = over_use, bool(data.get("active", True))
    if quota.pk:
        quota.version += 1
    quota.save()
    # the matrix as typed: tiers left blank have no allowance
    QuotaAllowance.objects.filter(quota=quota).exclude(tier__in=allowances).delete()
    for tier, amount in allowances.items():
        QuotaAllowance.objects.update_or_create(quota=quota, tier=tier, defaults={"amount": amount})
    return quota


def allowance_of(quota: Quota, tier: str) -> Decimal:
    """The allowance of a tier; a tier without a row (or a customer without a tier) has none."""
    if not tier:
        return Decimal(0)
    row = QuotaAllowance.objects.filter(quota=quota, tier=tier).values_list("amount", flat=True)
    return next(iter(row), Decimal(0))


def used_in(customer_id: int, quota: Quota, start: date) -> Decimal:
    """Approved use of one period."""
    total = QuotaUsage.objects.filter(
        customer_id=customer_id,
        quota=quota,
        period_start=start,
        status=QuotaUsage.Status.APPROVED,
    ).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


# --- logging a use --------------------------------------------------------------------------
@transaction.atomic
def record_usage(
    actor,
    customer: Customer,
    quota: Quota,
    amount,
    used_on: date | datetime | None = None,
    note: str = "",
) -> QuotaUsage:
    """Logs a use of `quota` by a customer the actor may change. Within what is left of the
    allowance of the customer's tier (or, for a ceiling, at most the ceiling) it is approved;
    beyond it, refused (a ValidationError on `amount` with the figures) or, when the quota asks
    for approval, saved as pending and the customer's manager told."""
    customer = access.get_customer(actor, customer.pk, write=True)
    errors: dict = {}
    if not quota.active:
        errors["quota"] = [_("This quota is no longer in use.")]
    value = _amount(amount, "amount", errors, positive=True)
    day = periods.company_date(used_on)
    if day > periods.company_date() + timedelta(days=366):
        errors["used_on"] = [_("The date is more than a year ahead.")]
    if errors:
        raise ValidationError(errors)
    # Serialises uses of this customer: without the lock two uses could each read the same
    # remainder and both pass (SQLite's IMMEDIATE transactions serialise anyway; PostgreSQL
    # needs the row lock). No ordering or joins: PostgreSQL refuses FOR UPDATE on outer joins.
    tier = (
        Customer.objects.select_for_update()
        .order_by()
        .values_list("tier", flat=True)
        .get(pk=customer.pk)
    )
    start = periods.period_start(day, quota.period)
    allowance = allowance_of(quota, tier)
    used = Decimal(0) if quota.is_ceiling else used_in(customer.pk, quota, start)
    figures = {
        "amount": value,
        "unit": quota.unit,
        "tier": tier,
        "period": start,
        "allowance": allowance,
        "used": used,
        "remaining": max(allowance - used, Decimal(0)),
    }
    over = value > (allowance if quota.is_ceiling else figures["remaining"])
    status = QuotaUsage.Status.APPROVED
    if over:
        if quota.over_use == Quota.OverUse.REFUSE:
            raise ValidationError({"amount": [over_use_message(quota, figures)]})
        status = QuotaUsage.Status.PENDING
    usage = QuotaUsage.objects.create(
        customer=customer,
        quota=quota,
        amount=value,
        used_on=day,
        period_start=start,
        tier=tier,
        note=str(note or "").strip()[:300],
        by=actor,
        status=status,
    )
    if status == QuotaUsage.Status.PENDING:
        notify_approvers(actor, customer, usage, figures)
    return usage


def approvers(customer: Customer) -> list[int]:
    """Who decides on an over-use: the manager(s) of the customer's team, or of the nearest
    team above it that has one; the directors when no team up the tree has a manager."""
    team_ids = []
    if customer.team_id:
        path = customer.team.path if customer.team else ""
        team_ids = [int(x) for x in path.strip("/").split("/") if x.isdigit()]
    managers = dict(
        User.objects.filter(role=User.Role.MANAGER, is_active=True, team_id__in=team_ids)
        .order_by("pk")
        .values_list("pk", "team_id")
    )
    for team_id in reversed(team_ids):  # nearest first
        found = [pk for pk, t in managers.items() if t == team_id]
        if found:
            return found
    return list(
        User.objects.filter(role=User.Role.DIRECTOR, is_active=True).values_list("pk", flat=True)
    )


def over_use_message(quota: Quota, f: dict) -> str:
    """Why a use is over: the allowance, what is used and what is left (or the ceiling)."""
    values = {
        **f,
        "amount": fmt(f["amount"]),
        "allowance": fmt(f["allowance"]),
        "used": fmt(f["used"]),
        "remaining": fmt(f["remaining"]),
        "tier": f["tier"] or "—",
        "period": periods.label(f["period"], quota.period),
    }
    if quota.is_ceiling:
        return (
            _(
                "%(amount)s %(unit)s is above the ceiling of %(allowance)s %(unit)s for a tier "
                "%(tier)s customer."
            )
            % values
        )
    return (
        _(
            "%(amount)s %(unit)s is more than is left: the allowance for %(period)s is "
            "%(allowance)s %(unit)s, %(used)s %(unit)s used, %(remaining)s %(unit)s remaining."
        )
        % values
    )


def notify_approvers(actor, customer: Customer, usage: QuotaUsage, figures: dict) -> None:
    """Tells the approvers, each in their own language (in the same transaction as the use)."""
    from kehu.followups.services import notify

    url = reverse("quotas:approvals")
    ids = [u for u in approvers(customer) if u != actor.pk]
    languages = dict(User.objects.filter(pk__in=ids).values_list("pk", "language"))
    for user_id in ids:
        with translation.override(languages.get(user_id) or settings.LANGUAGE_CODE):
            text = _("%(who)s asks to go over %(customer)s's %(quota)s: %(why)s") % {
                "who": actor,
                "customer": customer.name,
                "quota": usage.quota.name,
                "why": over_use_message(usage.quota, figures),
            }
        notify([user_id], text, url=url, customer_id=customer.pk)


# --- deciding on an over-use ----------------------------------------------------------------
def can_decide(actor, usage: QuotaUsage) -> bool:
    """Directors and admins decide any; a manager decides for the customers of their team
    subtree, but not on a use they logged themselves."""
    if actor.is_read_only or not actor.is_active:
        return False
    if actor.sees_everything:
        return True
    if not actor.is_manager or not actor.team_id or usage.by_id == actor.pk:
        return False
    return usage.customer.team_id in access.team_subtree_ids(actor.team)


@transaction.atomic
def decide_usage(actor, usage: QuotaUsage, approve: bool, note: str = "") -> QuotaUsage:
    """Approves or rejects a pending over-use. An approved one counts as used from then on."""
    # a use outside the actor's customers is a 404, like the customer itself
    access.get_customer(actor, usage.customer_id)
    current = (
        QuotaUsage.objects.select_for_update(of=("self",))
        .select_related("customer", "quota")
        .get(pk=usage.pk)
    )
    access.require(
        can_decide(actor, current), _("Only the customer's manager or a director decides this.")
    )
    if current.status != QuotaUsage.Status.PENDING:
        raise ValidationError(
            _("This use was already decided: %(status)s.")
            % {"status": current.get_status_display()}
        )
    current.status = QuotaUsage.Status.APPROVED if approve else QuotaUsage.Status.REJECTED
    current.decided_by, current.decided_at = actor, timezone.now()
    current.decision_note = str(note or "").strip()[:300]
    current.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if current.by_id and current.by_id != actor.pk:
        from kehu.followups.services import notify

        language = User.objects.filter(pk=current.by_id).values_list("language", flat=True)
        with translation.override(language.first() or settings.LANGUAGE_CODE):
            text = (
                _("%(who)s approved %(amount)s %(unit)s of %(quota)s for %(customer)s.")
                if approve
                else _("%(who)s rejected %(amount)s %(unit)s of %(quota)s for %(customer)s.")
            ) % {
                "who": actor,
                "amount": fmt(current.amount),
                "unit": current.quota.unit,
                "quota": current.quota.name,
                "customer": current.customer.name,
            }
        url = reverse("customers:detail", args=[current.customer_id]) + "#quotas"
        notify([current.by_id], text, url=url, customer_id=current.customer_id)
    return current
