"""Every write of the pipeline: stages, deals, moving a deal between stages (recorded), the
probability rule, and what winning does to the customer."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core import audit
from kehu.core.models import AuditEvent
from kehu.customers.models import Channel, Customer
from kehu.customers.services import StaleEdit
from kehu.webhooks import events as webhooks

from . import milestones
from .models import Deal, Stage, StageChange

# seeds 001/002: 初步接触 → 需求分析 → 方案制定 → 报价 → 合同谈判 → 赢单 / 输单, then 售后服务
DEFAULT_STAGES = [
    ("初步接触", Stage.Kind.OPEN, 10, Stage.Color.GREY),
    ("需求分析", Stage.Kind.OPEN, 20, Stage.Color.CYAN),
    ("方案制定", Stage.Kind.OPEN, 40, Stage.Color.BLUE),
    ("报价", Stage.Kind.OPEN, 60, Stage.Color.BLUE),
    ("合同谈判", Stage.Kind.OPEN, 80, Stage.Color.ORANGE),
    ("赢单", Stage.Kind.WON, 100, Stage.Color.GREEN),
    ("输单", Stage.Kind.LOST, 0, Stage.Color.RED),
    ("售后服务", Stage.Kind.AFTER, 100, Stage.Color.GREEN),
]
CLOSED = (Stage.Kind.WON, Stage.Kind.LOST, Stage.Kind.AFTER)


def ensure_default_stages() -> None:
    if not Stage.objects.exists():
        Stage.objects.bulk_create(
            Stage(name=n, kind=k, probability=p, color=c, position=i)
            for i, (n, k, p, c) in enumerate(DEFAULT_STAGES)
        )
        milestones.ensure_default_templates()


def _clean(data: dict, errors: dict) -> dict:
    out = {}
    title = str(data.get("title", "")).strip()
    if not title:
        errors["title"] = [_("Give the deal a title.")]
    out["title"] = title[:200]
    try:
        amount = Decimal(str(data.get("amount") or "0").replace(",", ""))
        if amount < 0 or amount.as_tuple().exponent < -2:
            raise InvalidOperation
        out["amount"] = amount
    except InvalidOperation:
        errors["amount"] = [_("Enter an amount in yuan, not negative, at most 2 decimals.")]
    out["expected_close"] = data.get("expected_close") or None
    for key in ("products", "competitor"):
        out[key] = str(data.get(key) or "").strip()[:300]
    channel = data.get("channel")
    out["channel"] = channel if isinstance(channel, Channel) or channel is None else None
    return out


def _probability(value, errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100:
        errors["probability"] = [_("The probability is a whole number from 0 to 100.")]
        return None
    return number


@transaction.atomic
def create_deal(actor, customer: Customer, data: dict) -> Deal:
    """A new deal on a customer the actor may change, in the first open stage unless another
    is given; the probability is the stage's unless typed."""
    customer = access.get_customer(actor, customer.pk, write=True)
    ensure_default_stages()
    errors: dict = {}
    fields = _clean(data, errors)
    stage = data.get("stage") or Stage.objects.filter(kind=Stage.Kind.OPEN, active=True).first()
    probability = _probability(data.get("probability"), errors)
    owner = data.get("owner") or customer.owner or actor
    if owner != actor and not access.assignable_owners(actor).filter(pk=owner.pk).exists():
        errors["owner"] = [_("You cannot give deals to this person.")]
    if (
        stage is not None
        and stage.kind == Stage.Kind.LOST
        and not str(data.get("lost_reason", "")).strip()
    ):
        errors["lost_reason"] = [_("Say why the deal was lost.")]
    if errors:
        raise ValidationError(errors)
    deal = Deal.objects.create(
        customer=customer,
        stage=stage,
        probability=stage.probability if probability is None else probability,
        probability_manual=probability is not None and probability != stage.probability,
        owner=owner,
        team_id=owner.team_id,
        lost_reason=str(data.get("lost_reason", "")).strip(),
        closed_at=timezone.now() if stage.kind in CLOSED else None,
        **fields,
    )
    StageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, by=actor)
    Deal.objects.filter(pk=deal.pk).update(furthest=_furthest(0, stage))
    milestones.start(deal, stage)
    if stage.kind == Stage.Kind.WON:
        _won(actor, customer)
    return deal


def editable_deal(actor, deal: Deal) -> Deal:
    """The deal if the actor may change it (its customer is theirs to change); 404 otherwise."""
    access.get_customer(actor, deal.customer_id, write=True)
    return deal


@transaction.atomic
def update_deal(actor, deal: Deal, data: dict, version: int | None = None) -> Deal:
    """Changes a deal's details (not its stage: move_stage does that). A typed probability
    different from the stage's is kept through later stage moves until reset."""
    deal = editable_deal(actor, Deal.objects.select_for_update(no_key=True).get(pk=deal.pk))
    if version is not None and deal.version != version:
        raise StaleEdit(_("Someone changed this deal after you opened it; reload and retry."))
    errors: dict = {}
    fields = _clean(data, errors)
    probability = _probability(data.get("probability"), errors)
    if errors:
        raise ValidationError(errors)
    for key, value in fields.items():
        setattr(deal, key, value)
    if probability is not None and probability != deal.probability:
        deal.probability, deal.probability_manual = probability, True
    deal.version = F("version") + 1
    deal.save()
    deal.refresh_from_db()
    return deal


@transaction.atomic
def reset_probability(actor, deal: Deal) -> Deal:
    deal = editable_deal(
        actor,
        Deal.objects.select_for_update(of=("self",), no_key=True)
        .select_related("stage")
        .get(pk=deal.pk),
    )
    deal.probability, deal.probability_manual = deal.stage.probability, False
    deal.version = F("version") + 1
    deal.save(update_fields=["probability", "probability_manual", "version", "updated_at"])
    deal.refresh_from_db()
    return deal


@transaction.atomic
def move_stage(
    actor, deal: Deal, stage: Stage, lost_reason: str = "", from_stage: int | None = None
) -> Deal:
    """Moves the deal (the kanban's drop): recorded with time and actor; losing needs a reason;
    the probability follows the stage unless set by hand; winning makes the customer 成交.
    `from_stage`: the stage the mover saw it in; if someone moved it since, StaleEdit."""
    deal = editable_deal(
        actor,
        Deal.objects.select_for_update(of=("self",), no_key=True)
        .select_related("stage", "customer")
        .get(pk=deal.pk),
    )
    if from_stage is not None and from_stage != deal.stage_id and stage.pk != deal.stage_id:
        raise StaleEdit(
            _("Someone moved this deal to “%(stage)s” after you opened the page; reload it.")
            % {"stage": deal.stage.name}
        )
    if not stage.active:
        raise ValidationError({"stage": [_("This stage is no longer used.")]})
    if stage.pk == deal.stage_id:
        return deal
    if stage.kind == Stage.Kind.LOST:
        if not (lost_reason or "").strip():
            raise ValidationError({"lost_reason": [_("Say why the deal was lost.")]})
        deal.lost_reason = lost_reason.strip()
    elif deal.stage.kind == Stage.Kind.LOST:
        deal.lost_reason = ""  # reopened
    now = timezone.now()
    stay = StageChange.objects.filter(deal=deal).order_by("-at", "-pk").first()
    if stay is not None:  # the stage it leaves: how long it stayed
        StageChange.objects.filter(pk=stay.pk).update(days=(now - stay.at).total_seconds() / 86400)
    StageChange.objects.create(deal=deal, from_stage=deal.stage, to_stage=stage, by=actor)
    webhooks.emit("deal.stage_changed", webhooks.deal_data(deal, stage))  # before deal.stage moves
    deal.furthest = _furthest(deal.furthest, stage)
    deal.stage = stage
    if not deal.probability_manual:
        deal.probability = stage.probability
    deal.closed_at = timezone.now() if stage.kind in CLOSED else None
    deal.version = F("version") + 1
    deal.save()
    deal.refresh_from_db()
    milestones.start(deal, stage)
    if stage.kind == Stage.Kind.WON:
        _won(actor, deal.customer)
    elif stage.kind == Stage.Kind.LOST:
        milestones.close_open(deal)
    return deal


def _furthest(current: int, stage: Stage) -> int:
    if stage.kind in (Stage.Kind.OPEN, Stage.Kind.WON):
        return max(current, stage.position)
    return current


def recompute_history(deal_ids) -> None:
    """Rebuilds `days` on the stage history and `furthest` on the deals from the history as
    it stands (after history was written or corrected in bulk: demo data, imports)."""
    for deal_id in deal_ids:
        changes = list(
            StageChange.objects.filter(deal_id=deal_id)
            .select_related("to_stage")
            .order_by("at", "pk")
        )
        for here, after in zip(changes, changes[1:], strict=False):
            StageChange.objects.filter(pk=here.pk).update(
                days=(after.at - here.at).total_seconds() / 86400
            )
        furthest = 0
        for change in changes:
            furthest = _furthest(furthest, change.to_stage)
        Deal.objects.filter(pk=deal_id).update(furthest=furthest)


def _won(actor, customer: Customer) -> None:
    if customer.status == Customer.Status.CUSTOMER:
        return
    old = customer.get_status_display()
    Customer.objects.filter(pk=customer.pk).update(
        status=Customer.Status.CUSTOMER, updated_at=timezone.now(), version=F("version") + 1
    )
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        customer,
        customer_id=customer.pk,
        changes=[
            audit.field_change(Customer, "status", str(old), str(Customer.Status.CUSTOMER.label))
        ],
    )


def can_configure(actor) -> bool:
    return actor.sees_everything


@transaction.atomic
def save_stages(actor, rows: list[dict]) -> list[Stage]:
    """A director edits the stages: names, order, colours, default probability, active. Kinds
    are fixed once a stage exists (reports rely on them); exactly one won and one lost stage."""
    access.require(can_configure(actor), _("Only a director can change the stages."))
    errors: dict = {}
    names = [str(r.get("name", "")).strip() for r in rows]
    if any(not n for n in names) or len(set(names)) != len(names):
        errors["name"] = [_("Every stage needs a name of its own.")]
    kinds = [r.get("kind") or Stage.Kind.OPEN for r in rows]
    for kind in (Stage.Kind.WON, Stage.Kind.LOST):
        if kinds.count(kind) != 1:
            errors.setdefault("kind", []).append(_("Keep exactly one won and one lost stage."))
    if not any(k == Stage.Kind.OPEN for k in kinds):
        errors.setdefault("kind", []).append(_("Keep at least one open stage."))
    for row in rows:
        try:
            probability = int(row.get("probability", 0))
        except (TypeError, ValueError):
            probability = -1
        if not 0 <= probability <= 100:
            errors["probability"] = [_("The probability is a whole number from 0 to 100.")]
    if errors:
        raise ValidationError(errors)
    saved = []
    for position, row in enumerate(rows):
        fields = {
            "name": row["name"].strip()[:40],
            "position": position,
            "probability": int(row["probability"]),
            "color": row.get("color") or Stage.Color.BLUE,
            "active": bool(row.get("active", True)),
        }
        if row.get("id"):
            Stage.objects.filter(pk=row["id"]).update(**fields)
            saved.append(Stage.objects.get(pk=row["id"]))
        else:
            saved.append(Stage.objects.create(kind=row.get("kind") or Stage.Kind.OPEN, **fields))
    return saved
