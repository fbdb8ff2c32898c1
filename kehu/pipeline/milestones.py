"""Conversion milestones (转化节点): started when a deal enters a stage, owned by a role, due a
number of working days later; each is an entry in its owner's My day (a follow-up of origin
"milestone"), goes overdue there and is escalated like any follow-up."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core.workdays import work_calendar
from kehu.followups.models import FollowUp, Method
from kehu.followups.services import Assignees, sync_next_followup

from .models import Deal, Milestone, MilestoneTemplate, Stage

# seed 002: 需求确认; 方案提交 by the account manager within 3 working days; 合同谈判 with the
# director within 5; 回款完成 with finance within 5 working days of signing
DEFAULTS = [
    ("需求确认", "需求分析", MilestoneTemplate.Role.OWNER, None),
    ("方案提交", "方案制定", MilestoneTemplate.Role.MANAGER, 3),
    ("合同谈判", "合同谈判", MilestoneTemplate.Role.DIRECTOR, 5),
    ("回款完成", "赢单", MilestoneTemplate.Role.FINANCE, 5),
]


def ensure_default_templates() -> None:
    if MilestoneTemplate.objects.exists():
        return
    stages = {s.name: s for s in Stage.objects.all()}
    MilestoneTemplate.objects.bulk_create(
        MilestoneTemplate(name=n, trigger_stage=stages[s], role=r, days=d, position=i)
        for i, (n, s, r, d) in enumerate(DEFAULTS)
        if s in stages
    )


def _owner(role: str, deal: Deal, assignees: Assignees):
    if role == MilestoneTemplate.Role.DIRECTOR:
        return assignees.director or deal.owner_id
    if role == MilestoneTemplate.Role.MANAGER:
        return assignees.manager_of(deal.team_id) or deal.owner_id
    # the owner; finance too until the purchases issue brings a finance role
    return deal.owner_id


def start(deal: Deal, stage: Stage, now=None) -> list[Milestone]:
    """The milestones whose trigger is `stage` (once per deal), each with its My day entry."""
    now = now or timezone.now()
    templates = MilestoneTemplate.objects.filter(trigger_stage=stage).exclude(
        pk__in=Milestone.objects.filter(deal=deal).values("template_id")
    )
    if not templates:
        return []
    calendar = work_calendar()
    assignees = Assignees()
    today = timezone.localtime(now).date()
    made = []
    for template in templates:
        owner_id = _owner(template.role, deal, assignees)
        due = calendar.add(today, template.days) if template.days is not None else None
        followup = FollowUp.objects.create(
            customer_id=deal.customer_id,
            owner_id=owner_id,
            due_on=due or calendar.add(today, 0),
            method=Method.OTHER,
            content=f"{deal.title} · {template.name}"[:200],
            origin=FollowUp.Origin.MILESTONE,
        )
        made.append(
            Milestone.objects.create(
                deal=deal,
                template=template,
                name=template.name,
                owner_id=owner_id,
                due_on=due,
                followup=followup,
            )
        )
    sync_next_followup([deal.customer_id])
    return made


@transaction.atomic
def complete(actor, milestone: Milestone) -> Milestone:
    """Its owner, or anyone who may change the deal's customer, marks it done."""
    milestone = (
        Milestone.objects.select_for_update(of=("self",), no_key=True)
        .select_related("deal")
        .get(pk=milestone.pk)
    )
    if milestone.owner_id != actor.pk:
        access.get_customer(actor, milestone.deal.customer_id, write=True)
    if milestone.done_at:
        raise ValidationError({"milestone": [_("This milestone is already done.")]})
    now = timezone.now()
    milestone.done_at, milestone.done_by = now, actor
    milestone.save(update_fields=["done_at", "done_by"])
    if milestone.followup_id:
        FollowUp.objects.filter(pk=milestone.followup_id, status__in=FollowUp.OPEN).update(
            status=FollowUp.Status.DONE, done_at=now, result=_("Milestone done.")
        )
        sync_next_followup([milestone.deal.customer_id])
    return milestone


def close_open(deal: Deal) -> None:
    """A lost deal's open milestones no longer need doing: their My day entries are cancelled."""
    open_ones = Milestone.objects.filter(deal=deal, done_at__isnull=True)
    FollowUp.objects.filter(
        pk__in=open_ones.values("followup_id"), status__in=FollowUp.OPEN
    ).update(status=FollowUp.Status.CANCELLED, result=_("The deal was lost."))
    sync_next_followup([deal.customer_id])


@transaction.atomic
def save_templates(actor, rows: list[dict]) -> list[MilestoneTemplate]:
    """A director edits the milestone template: name, the stage that starts it, the role that
    owns it and its deadline in working days (empty: none). Milestones already started keep
    their dates."""
    access.require(actor.sees_everything, _("Only a director can change the milestones."))
    errors: dict = {}
    stages = {s.pk: s for s in Stage.objects.all()}
    for i, row in enumerate(rows, start=1):
        if not str(row.get("name", "")).strip():
            errors.setdefault("name", []).append(_("Row %(row)s: name the milestone.") % {"row": i})
        if row.get("trigger_stage") not in stages:
            errors.setdefault("trigger_stage", []).append(
                _("Row %(row)s: choose the stage that starts it.") % {"row": i}
            )
        if row.get("role") not in MilestoneTemplate.Role.values:
            errors.setdefault("role", []).append(_("Row %(row)s: choose who owns it.") % {"row": i})
        days = row.get("days")
        if days not in (None, "") and not (str(days).isdigit() and int(days) <= 365):
            errors.setdefault("days", []).append(
                _("Row %(row)s: a deadline is 0 to 365 working days.") % {"row": i}
            )
    if errors:
        raise ValidationError(errors)
    keep = [int(r["id"]) for r in rows if r.get("id")]
    MilestoneTemplate.objects.exclude(pk__in=keep).delete()
    saved = []
    for position, row in enumerate(rows):
        fields = {
            "name": str(row["name"]).strip()[:60],
            "trigger_stage": stages[row["trigger_stage"]],
            "role": row["role"],
            "days": None if row.get("days") in (None, "") else int(row["days"]),
            "position": position,
        }
        if row.get("id"):
            MilestoneTemplate.objects.filter(pk=row["id"]).update(**fields)
            saved.append(MilestoneTemplate.objects.get(pk=row["id"]))
        else:
            saved.append(MilestoneTemplate.objects.create(**fields))
    return saved
