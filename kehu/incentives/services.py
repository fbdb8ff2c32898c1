"""Writes of the incentives app: commission plans, saved by directors and admins only."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import Team
from kehu.targets import periods
from kehu.targets.models import Target

from . import commission
from .models import CommissionBand, CommissionPlan

# commission is a share of money: a count of new customers has no rate
METRICS = (Target.Metric.WON_AMOUNT, Target.Metric.COLLECTIONS)


def can_configure(actor) -> bool:
    return actor.is_authenticated and actor.sees_everything and not actor.is_read_only


def _problem_text(field: str, problem: str) -> str:
    """commission.problems' codes as a message that names the field ("band 2: rate: …")."""
    texts = {
        "empty": _("Add at least one band."),
        "unknown": _("Choose a mode."),
        "negative": _("cannot be negative."),
        "range": _("enter a rate from 0 to 100."),
        "not_increasing": _("must be higher than the band before."),
        "falling": _("cannot be lower than the band before (the payout would fall as sales rise)."),
        "positive": _("must be more than zero."),
    }
    if field == "accelerator":
        return _("Enter an accelerator from 1 to %(max)s.") % {"max": commission.MAX_ACCELERATOR}
    if field.startswith("band "):
        number, what = field[5:].split(": ")
        label = _("from") if what == "from" else _("rate")
        return _("Band %(n)s: %(field)s: %(problem)s") % {
            "n": number,
            "field": label,
            "problem": texts[problem],
        }
    return texts[problem][:1].upper() + texts[problem][1:]


def _decimal(raw, field, errors, *, places: str, required=False, label=None):
    text = "" if raw is None else str(raw).replace(",", "").replace("%", "").strip()
    if not text:
        if required:
            errors[field] = [_("%(field)s: enter a number.") % {"field": label or field}]
        return None
    try:
        value = Decimal(text).quantize(Decimal(places))
    except (InvalidOperation, ValueError):
        errors[field] = [_("%(field)s: enter a number.") % {"field": label or field}]
        return None
    return value


def _bands(rows, errors) -> list[tuple[Decimal, Decimal]]:
    """Rows of {"from_percent", "rate"}; wholly blank rows are skipped, numbered as given."""
    out = []
    for n, row in enumerate(rows, start=1):
        raw_from, raw_rate = row.get("from_percent"), row.get("rate")
        if str(raw_from or "").strip() == "" and str(raw_rate or "").strip() == "":
            continue
        low = _decimal(
            raw_from,
            f"band {n}: from",
            errors,
            places="0.1",
            required=True,
            label=_("Band %(n)s: from") % {"n": n},
        )
        rate = _decimal(
            raw_rate,
            f"band {n}: rate",
            errors,
            places="0.01",
            required=True,
            label=_("Band %(n)s: rate") % {"n": n},
        )
        if low is not None and rate is not None:
            out.append((low, rate))
    return out


@transaction.atomic
def save_plan(
    actor, data: dict, bands: list[dict], plan: CommissionPlan | None = None, version=None
) -> CommissionPlan:
    """Creates or changes a commission plan and replaces its bands; directors and admins only.
    Every problem is named by its field ("band 2: rate"); nothing is written unless all is
    well; a stale form (someone saved in between) is refused."""
    access.require(can_configure(actor))
    errors: dict = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Name the plan.")]
    metric = data.get("metric")
    if metric not in METRICS:
        errors["metric"] = [_("Choose won amount or collections: commission is paid on money.")]
    kind = data.get("period")
    if kind not in periods.Kind.values:
        errors["period"] = [_("Choose a period.")]
    mode = data.get("mode")
    if mode not in CommissionPlan.Mode.values:
        errors["mode"] = [_("Choose a mode.")]
    team = data.get("team") or None
    if team is not None and not isinstance(team, Team):
        team = Team.objects.filter(pk=team).first() if str(team).isdigit() else None
        if team is None:
            errors["team"] = [_("Choose a team.")]
    accelerator = _decimal(
        data.get("accelerator"), "accelerator", errors, places="0.01", label=_("Accelerator")
    )
    cap_amount = _decimal(
        data.get("cap_amount"), "cap_amount", errors, places="0.01", label=_("Payout cap")
    )
    cap_percent = _decimal(
        data.get("cap_percent"), "cap_percent", errors, places="0.1", label=_("Attainment cap")
    )
    pairs = _bands(bands, errors)
    terms = commission.Plan.of(
        pairs,
        mode=mode if mode in CommissionPlan.Mode.values else commission.WHOLE,
        accelerator=accelerator if accelerator is not None else 1,
        cap_amount=cap_amount,
        cap_percent=cap_percent,
    )
    for field, problem in commission.problems(terms):
        if field not in errors:
            errors.setdefault(field, []).append(_problem_text(field, problem))
    if errors:
        raise ValidationError(errors)
    values = {
        "name": name,
        "metric": metric,
        "period": kind,
        "team": team,
        "mode": mode,
        "accelerator": terms.accelerator,
        "cap_amount": cap_amount,
        "cap_percent": cap_percent,
        "active": bool(data.get("active", True)),
        "updated_by": actor,
    }
    if plan is None:
        plan = CommissionPlan.objects.create(**values)
    else:
        current = CommissionPlan.objects.select_for_update().filter(pk=plan.pk).order_by().first()
        if current is None or (version is not None and int(version) != current.version):
            raise ValidationError(
                _(
                    "Someone saved this commission plan after you opened it. Reload it and try "
                    "again."
                )
            )
        for key, value in values.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        plan = current
        plan.bands.all().delete()
    CommissionBand.objects.bulk_create(
        CommissionBand(plan=plan, from_percent=low, rate=rate) for low, rate in sorted(pairs)
    )
    return plan
