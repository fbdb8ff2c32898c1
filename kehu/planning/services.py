"""Writes of the annual plan: targets per year for the company, a team or a rep, and the
quarterly review notes kept with it."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kehu.accounts import access

from .models import AnnualPlan, PlanReview

TARGETS = ["new_customers", "revenue", "repurchase_rate", "churn_rate", "satisfaction"]


def can_plan(actor, team=None, user=None) -> bool:
    """Directors plan for anyone; managers for their team subtree and its people."""
    if actor.is_read_only:
        return False
    if actor.sees_everything:
        return True
    if not actor.is_manager or not actor.team_id:
        return False
    subtree = set(access.team_subtree_ids(actor.team))
    if user is not None:
        return user.team_id in subtree
    return team is not None and team.pk in subtree


def _number(data, key, errors, *, low=Decimal(0), high=None, places="0.01", whole=False):
    raw = data.get(key)
    if raw in (None, ""):
        return Decimal(0) if not whole else 0
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors[key] = [_("Enter a number.")]
        return None
    if value < low or (high is not None and value > high):
        errors[key] = (
            [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            if high is not None
            else [_("The number cannot be negative.")]
        )
        return None
    if whole:
        if value != value.to_integral_value():
            errors[key] = [_("Enter a whole number.")]
            return None
        return int(value)
    return value.quantize(Decimal(places))


@transaction.atomic
def save_plan(actor, year: int, data: dict, *, team=None, user=None, version=None) -> AnnualPlan:
    """Creates or changes the plan of one scope and year; a stale form is refused."""
    access.require(can_plan(actor, team, user))
    if team is not None and user is not None:
        raise ValidationError(_("A plan is for the company, a team or one person."))
    errors: dict = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("Enter a year.")]
    values = {
        "new_customers": _number(data, "new_customers", errors, whole=True),
        "revenue": _number(data, "revenue", errors),
        "repurchase_rate": _number(data, "repurchase_rate", errors, high=100, places="0.1"),
        "churn_rate": _number(data, "churn_rate", errors, high=100, places="0.1"),
        "satisfaction": _number(data, "satisfaction", errors, high=5),
    }
    if values["satisfaction"] and values["satisfaction"] < 1:
        errors["satisfaction"] = [
            _("Enter a number from %(low)s to %(high)s.") % {"low": 1, "high": 5}
        ]
    if errors:
        raise ValidationError(errors)
    # No ordering: the model's (by team and user) would join nullable tables, which
    # PostgreSQL refuses to lock.
    plan = (
        AnnualPlan.objects.select_for_update()
        .filter(year=year, team=team, user=user)
        .order_by()
        .first()
    )
    if plan is None:
        try:
            with transaction.atomic():
                return AnnualPlan.objects.create(
                    year=year, team=team, user=user, updated_by=actor, **values
                )
        except IntegrityError:  # someone created it at the same moment
            raise ValidationError(
                _("Someone saved this plan after you opened it. Reload it and try again.")
            ) from None
    if version is not None and plan.version != version:
        raise ValidationError(
            _("Someone saved this plan after you opened it. Reload it and try again.")
        )
    for key, value in values.items():
        setattr(plan, key, value)
    plan.updated_by = actor
    plan.version += 1
    plan.save()
    return plan


def add_review(actor, plan: AnnualPlan, quarter, note: str) -> PlanReview:
    """A quarterly review note, by whoever may plan for the scope or is the plan's rep."""
    access.require(can_plan(actor, plan.team, plan.user) or plan.user_id == actor.pk)
    errors = {}
    try:
        quarter = int(quarter)
    except (TypeError, ValueError):
        quarter = 0
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = [_("Choose a quarter.")]
    if not str(note).strip():
        errors["note"] = [_("Write the review.")]
    if errors:
        raise ValidationError(errors)
    return PlanReview.objects.create(
        plan=plan, quarter=quarter, note=str(note).strip(), author=actor
    )
