"""Every write of follow-ups: logging interactions, planning follow-ups from the tier cadences
(one customer or all of them, set-based), changing a follow-up, escalating overdue ones, and
notifications. Dates are working days (kehu.core.workdays) wherever they are computed."""

from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.core import bulk
from kehu.core.workdays import work_calendar
from kehu.customers.models import Contact, Customer
from kehu.webhooks import events as webhooks

from . import cadence
from .models import CadenceRule, CalendarFeed, FollowUp, Interaction, Method, Notification

# seed 002: A weekly deep contact + a monthly executive touch; B fortnightly + a quarterly
# product update; C a monthly news/offer
DEFAULT_CADENCE = [
    ("A", 7, CadenceRule.Who.OWNER, Method.PHONE, "深度沟通：电话或拜访，了解需求与满意度"),
    ("A", 30, CadenceRule.Who.DIRECTOR, Method.VISIT, "高层拜访：销售总监月度沟通"),
    ("B", 14, CadenceRule.Who.OWNER, Method.PHONE, "定期回访：电话沟通近况"),
    ("B", 90, CadenceRule.Who.OWNER, Method.EMAIL, "季度产品更新：发送新品与方案资料"),
    ("C", 30, CadenceRule.Who.OWNER, Method.WECHAT, "月度资讯：推送行业资讯与优惠活动"),
]


def can_set_cadence(actor: User) -> bool:
    return actor.sees_everything


def ensure_default_cadence() -> None:
    if not CadenceRule.objects.exists():
        CadenceRule.objects.bulk_create(
            CadenceRule(tier=t, every_days=d, who=w, method=m, content=c)
            for t, d, w, m, c in DEFAULT_CADENCE
        )


@transaction.atomic
def save_cadence(actor, rows: list[dict]) -> list[CadenceRule]:
    """Replaces the cadence rules (a director's edit). Open follow-ups planned from a removed
    rule are cancelled; customers are re-planned by the nightly job (or `kehu followups
    plan`)."""
    access.require(can_set_cadence(actor), _("Only a director can change the cadences."))
    errors = {}
    for i, row in enumerate(rows, start=1):
        if row["tier"] not in Customer.TIERS:
            errors.setdefault("tier", []).append(_("Row %(row)s: choose a tier.") % {"row": i})
        if not 1 <= int(row["every_days"]) <= 366:
            errors.setdefault("every_days", []).append(
                _("Row %(row)s: every 1 to 366 days.") % {"row": i}
            )
        if row["method"] not in Method.values:
            errors.setdefault("method", []).append(_("Row %(row)s: choose a method.") % {"row": i})
        if not str(row.get("content", "")).strip():
            errors.setdefault("content", []).append(
                _("Row %(row)s: say what the follow-up is for.") % {"row": i}
            )
    if errors:
        raise ValidationError(errors)
    keep = {int(r["id"]) for r in rows if r.get("id")}
    dropped = CadenceRule.objects.exclude(pk__in=keep)
    FollowUp.objects.filter(rule__in=dropped, status__in=FollowUp.OPEN).update(
        status=FollowUp.Status.CANCELLED, result=_("The cadence rule was removed.")
    )
    dropped.delete()
    saved = []
    for row in rows:
        fields = {
            "tier": row["tier"],
            "every_days": int(row["every_days"]),
            "who": row.get("who") or CadenceRule.Who.OWNER,
            "method": row["method"],
            "content": str(row["content"]).strip()[:200],
            "active": row.get("active", True),
        }
        if row.get("id"):
            CadenceRule.objects.filter(pk=row["id"]).update(**fields)
            saved.append(CadenceRule.objects.get(pk=row["id"]))
        else:
            saved.append(CadenceRule.objects.create(**fields))
    return saved


# --- who does a rule's follow-up ------------------------------------------------------------------
class Assignees:
    """Resolves a rule's "who" to a user id: the owner, the nearest manager up the customer's
    team tree (the owner if none), or the first director."""

    def __init__(self):
        teams = dict(Team.objects.values_list("pk", "parent_id"))
        managers: dict[int, int] = {}
        for team_id, user_id in (
            User.objects.filter(role=User.Role.MANAGER, is_active=True, team__isnull=False)
            .order_by("-pk")
            .values_list("team_id", "pk")
        ):
            managers[team_id] = user_id
        self._teams, self._managers = teams, managers
        self._nearest: dict[int | None, int | None] = {}
        self.director = (
            User.objects.filter(role=User.Role.DIRECTOR, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )

    def manager_of(self, team_id: int | None) -> int | None:
        if team_id not in self._nearest:
            found, seen, current = None, set(), team_id
            while current is not None and current not in seen:
                seen.add(current)
                if current in self._managers:
                    found = self._managers[current]
                    break
                current = self._teams.get(current)
            self._nearest[team_id] = found
        return self._nearest[team_id]

    def resolve(self, who: str, owner_id, team_id):
        if who == CadenceRule.Who.DIRECTOR:
            return self.director or owner_id
        if who == CadenceRule.Who.MANAGER:
            return self.manager_of(team_id) or owner_id
        return owner_id


# --- planning -------------------------------------------------------------------------------------
def plan_customer(customer: Customer, today: date | None = None) -> list[FollowUp]:
    """Plans the next follow-up of every active rule of the customer's tier that has none
    open: `every_days` after the last contact, never before today, on a working day."""
    today = today or timezone.localdate()
    if not customer.tier or customer.pooled_at or not customer.owner_id:
        sync_next_followup([customer.pk])
        return []
    rules = list(CadenceRule.objects.filter(tier=customer.tier, active=True))
    covered = set(
        FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN).values_list(
            "rule_id", flat=True
        )
    )
    calendar = work_calendar(today)
    assignees = Assignees()
    made = []
    for rule in rules:
        if rule.pk in covered:
            continue
        last = customer.last_contact_at and timezone.localtime(customer.last_contact_at).date()
        made.append(
            FollowUp(
                customer=customer,
                owner_id=assignees.resolve(rule.who, customer.owner_id, customer.team_id),
                due_on=cadence.next_due(calendar, last, rule.every_days, today),
                method=rule.method,
                content=rule.content,
                origin=FollowUp.Origin.CADENCE,
                rule=rule,
            )
        )
    made = FollowUp.objects.bulk_create(made)
    sync_next_followup([customer.pk])
    return made


def plan_all(today: date | None = None) -> int:
    """Plans, for every owned customer and every active rule of its tier without an open
    follow-up, the next one — set-based: one read per rule, due dates computed for all rows
    at once on the working-day calendar, one bulk insert. Returns the follow-ups planned."""
    today = today or timezone.localdate()
    calendar = work_calendar(today)
    assignees = Assignees()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    q = connection.ops.quote_name
    epoch = "unixepoch({})" if connection.vendor == "sqlite" else "EXTRACT(EPOCH FROM {})::float8"
    customers, followups = Customer._meta.db_table, FollowUp._meta.db_table
    total, planned = 0, []
    for rule in CadenceRule.objects.filter(active=True):
        # the customers this rule already covers, then the tier's customers minus those: two
        # plain reads (a correlated NOT EXISTS let SQLite's planner probe the wrong index)
        covered = np.fromiter(
            FollowUp.objects.filter(rule=rule, status__in=FollowUp.OPEN)
            .values_list("customer_id", flat=True)
            .order_by(),
            np.int64,
        )
        sql = (
            f"SELECT c.id, c.owner_id, c.team_id, {epoch.format('c.last_contact_at')} "
            f"FROM {q(customers)} c WHERE c.tier = %s AND c.owner_id IS NOT NULL "
            f"AND c.pooled_at IS NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [rule.tier])
            rows = cursor.fetchall()
        if len(covered):
            keep = ~np.isin(np.fromiter((r[0] for r in rows), np.int64, len(rows)), covered)
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
        if not rows:
            continue
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        stamps = np.fromiter(
            (np.nan if r[3] is None else r[3] for r in rows), np.float64, len(rows)
        )
        # the local calendar day of the last contact (NaT when never contacted)
        offset = timezone.localtime().utcoffset().total_seconds()
        last = np.floor((stamps + offset) / 86400)
        last = np.where(np.isnan(last), np.datetime64("NaT"), last.astype("datetime64[D]"))
        due = cadence.next_due_many(calendar, last.astype("datetime64[D]"), rule.every_days, today)
        bulk.insert_rows(
            followups,
            [
                "customer_id",
                "owner_id",
                "due_on",
                "method",
                "content",
                "status",
                "result",
                "origin",
                "rule_id",
                "created_at",
            ],
            (
                (
                    int(cid),
                    assignees.resolve(rule.who, owner, team),
                    day.item(),
                    rule.method,
                    rule.content,
                    FollowUp.Status.TODO.value,
                    "",
                    FollowUp.Origin.CADENCE.value,
                    rule.pk,
                    now,
                )
                for cid, (_, owner, team, _stamp), day in zip(ids, rows, due, strict=True)
            ),
        )
        total += len(rows)
        planned.append(ids)
    # only the customers just planned can have a new earliest date (logging, cancelling and
    # re-planning keep the others in step as they happen)
    sync_next_followup(np.concatenate(planned).tolist() if planned else [])
    return total


def replan(customer_ids, today: date | None = None) -> int:
    """After tier changes: cancels open cadence follow-ups planned for another tier, then plans
    the customers' new cadence."""
    ids = list(customer_ids)
    if not ids:
        return 0
    stale = FollowUp.objects.filter(
        customer_id__in=ids, status__in=FollowUp.OPEN, origin=FollowUp.Origin.CADENCE
    ).exclude(rule__tier=F("customer__tier"))
    stale.update(status=FollowUp.Status.CANCELLED, result=_("The customer's tier changed."))
    made = 0
    for customer in Customer.objects.filter(pk__in=ids):
        made += len(plan_customer(customer, today))
    return made


def sync_next_followup(customer_ids=None) -> None:
    """Keeps Customer.next_followup_at (the list's column and its "overdue" filter) at the
    earliest open follow-up, 09:00 local time on its due day; None when nothing is open.
    `customer_ids` None: every customer. Set-based either way; many ids go through a temporary
    table rather than an IN list."""
    if customer_ids is not None:
        customer_ids = list(customer_ids)
        if not customer_ids:
            return
        if len(customer_ids) > 500:
            with bulk.id_table(customer_ids, "kehu_sync_ids") as ids:
                _sync(RawSQL(f"SELECT id FROM {connection.ops.quote_name(ids)}", []))
            return
    _sync(customer_ids)


def _sync(customer_ids) -> None:
    open_rows = FollowUp.objects.filter(status__in=FollowUp.OPEN)
    customers = Customer.objects.all()
    if customer_ids is not None:
        open_rows = open_rows.filter(customer_id__in=customer_ids)
        customers = customers.filter(pk__in=customer_ids)
    earliest = open_rows.values("customer_id").annotate(due=Min("due_on")).order_by()
    rows = [(cid, _at_nine(due)) for cid, due in earliest.values_list("customer_id", "due")]
    with transaction.atomic():
        customers.filter(next_followup_at__isnull=False).exclude(
            pk__in=FollowUp.objects.filter(status__in=FollowUp.OPEN).values("customer_id")
        ).update(next_followup_at=None)
        if rows:
            bulk.update_from(
                Customer._meta.db_table,
                [("next_followup_at", "timestamp with time zone" if _pg() else "datetime")],
                rows,
                only_changed=True,
            )


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _at_nine(day: date):
    value = timezone.make_aware(datetime(day.year, day.month, day.day, 9))
    return connection.ops.adapt_datetimefield_value(value)


def hand_over(customer_ids, owner_id) -> int:
    """A reassigned customer's open follow-ups that were the owner's (cadence rules "by the
    owner" and those planned by hand) go to the new owner; the director's and managers' stay."""
    return (
        FollowUp.objects.filter(customer_id__in=list(customer_ids), status__in=FollowUp.OPEN)
        .filter(Q(rule__who=CadenceRule.Who.OWNER) | Q(rule__isnull=True))
        .exclude(owner_id=owner_id)
        .update(owner_id=owner_id)
    )


def tidy_after_merge(customer: Customer) -> None:
    """Two merged customers bring two plans for the same cadence rule: the earliest stays,
    the others are cancelled; the last contact is the later of the two (the merge keeps it)."""
    seen = set()
    extra = []
    for f in FollowUp.objects.filter(
        customer=customer, status__in=FollowUp.OPEN, rule__isnull=False
    ).order_by("due_on", "pk"):
        if f.rule_id in seen:
            extra.append(f.pk)
        seen.add(f.rule_id)
    FollowUp.objects.filter(pk__in=extra).update(
        status=FollowUp.Status.CANCELLED, result=_("Merged with a duplicate customer.")
    )
    plan_customer(customer)


# --- logging an interaction -------------------------------------------------------------------
@transaction.atomic
def log_interaction(
    actor,
    customer: Customer,
    *,
    method: str,
    content: str,
    at: datetime | None = None,
    contact: Contact | None = None,
    feedback: str = "",
    next_step: str = "",
    next_on: date | None = None,
    followup: FollowUp | None = None,
    deal=None,
) -> Interaction:
    """Records a contact; the customer's last contact moves to it; the matching planned
    follow-up (the one given, else the actor's earliest open one for this customer) is done;
    the next one is planned (on `next_on` if given, else from the cadence)."""
    customer = access.get_customer(actor, customer.pk, write=True)
    now = timezone.now()
    at = at or now
    errors = {}
    if method not in Method.values:
        errors["method"] = [_("Choose how you contacted the customer.")]
    if not content.strip():
        errors["content"] = [_("Write what was discussed.")]
    if at > now + timedelta(minutes=5):
        errors["at"] = [_("An interaction cannot be in the future.")]
    if next_on and next_on < timezone.localdate():
        errors["next_on"] = [_("The next follow-up cannot be in the past.")]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("Choose one of this customer's contacts.")]
    if deal is not None and deal.customer_id != customer.pk:
        errors["deal"] = [_("Choose one of this customer's deals.")]
    if followup is not None and (followup.customer_id != customer.pk or not followup.is_open):
        errors["followup"] = [_("This follow-up is not open for this customer.")]
    if errors:
        raise ValidationError(errors)
    interaction = Interaction.objects.create(
        customer=customer,
        contact=contact,
        user=actor,
        at=at,
        method=method,
        content=content.strip(),
        feedback=feedback.strip(),
        next_step=next_step.strip(),
        next_on=next_on,
        deal=deal,
    )
    webhooks.emit("interaction.logged", webhooks.interaction_data(interaction))
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=at)
    ).update(last_contact_at=at)
    if followup is None:  # the actor's next planned contact (a milestone is done explicitly)
        followup = (
            FollowUp.objects.filter(customer=customer, owner=actor, status__in=FollowUp.OPEN)
            .exclude(origin=FollowUp.Origin.MILESTONE)
            .order_by("due_on", "pk")
            .first()
        )
    if followup is not None:
        FollowUp.objects.filter(pk=followup.pk).update(
            status=FollowUp.Status.DONE,
            result=content.strip()[:2000],
            interaction=interaction,
            done_at=now,
        )
        milestone = getattr(followup, "milestone", None)  # a deal's milestone (pipeline)
        if milestone is not None and milestone.done_at is None:
            type(milestone).objects.filter(pk=milestone.pk).update(done_at=now, done_by=actor)
    if next_on:
        FollowUp.objects.create(
            customer=customer,
            owner=actor,
            due_on=work_calendar().on_or_after(next_on),
            method=method,
            content=(next_step.strip() or _("Follow up"))[:200],
            origin=FollowUp.Origin.MANUAL,
            # the planned date stands in for the cadence's next one
            rule=followup.rule if followup is not None else None,
        )
    customer.refresh_from_db()
    plan_customer(customer)
    return interaction


# --- changing planned follow-ups ----------------------------------------------------------------
def _editable_followup(actor, followup: FollowUp) -> FollowUp:
    access.get_customer(actor, followup.customer_id, write=True)
    if not (followup.owner_id == actor.pk or access.can_reassign(actor)):
        raise access.AccessDenied(_("Only its owner or a manager can change this follow-up."))
    return followup


@transaction.atomic
def plan_followup(
    actor,
    customer: Customer,
    *,
    due_on: date,
    method: str,
    content: str,
    owner=None,
    origin: str = FollowUp.Origin.MANUAL,
) -> FollowUp:
    customer = access.get_customer(actor, customer.pk, write=True)
    owner = owner or actor
    errors = {}
    if due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    if method not in Method.values:
        errors["method"] = [_("Choose a method.")]
    if owner != actor and not access.assignable_owners(actor).filter(pk=owner.pk).exists():
        errors["owner"] = [_("You cannot plan follow-ups for this person.")]
    if errors:
        raise ValidationError(errors)
    followup = FollowUp.objects.create(
        customer=customer,
        owner=owner,
        due_on=work_calendar().on_or_after(due_on),
        method=method,
        content=content.strip()[:200],
        origin=origin,
    )
    sync_next_followup([customer.pk])
    return followup


@transaction.atomic
def set_followup_status(actor, followup: FollowUp, status: str, result: str = "") -> FollowUp:
    """Start, cancel (with a reason) or reopen a planned follow-up. Completing one is logging
    the interaction (log_interaction)."""
    followup = _editable_followup(actor, FollowUp.objects.select_for_update().get(pk=followup.pk))
    if status not in (FollowUp.Status.DOING, FollowUp.Status.CANCELLED, FollowUp.Status.TODO):
        raise ValidationError({"status": [_("Log the interaction to complete a follow-up.")]})
    if status == FollowUp.Status.CANCELLED and not result.strip():
        raise ValidationError({"result": [_("Say why the follow-up is cancelled.")]})
    followup.status = status
    if result.strip():
        followup.result = result.strip()
    followup.save(update_fields=["status", "result"])
    if status == FollowUp.Status.CANCELLED:
        plan_customer(followup.customer)
    sync_next_followup([followup.customer_id])
    return followup


# --- notifications and escalation --------------------------------------------------------------
def notify(user_ids, text: str, url: str = "", customer_id=None) -> int:
    made = Notification.objects.bulk_create(
        Notification(user_id=u, text=text[:300], url=url, customer_id=customer_id)
        for u in {u for u in user_ids if u}
    )
    return len(made)


def mark_read(actor, ids=None) -> int:
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def escalate_overdue(today: date | None = None) -> int:
    """Follow-ups overdue by KEHU_ESCALATE_AFTER working days or more go to the manager of
    the customer's team (once each). Returns how many were escalated."""
    today = today or timezone.localdate()
    calendar = work_calendar(today)
    days = settings.KEHU_ESCALATE_AFTER
    # due on or before this day means `days` working days have passed since
    cutoff = calendar.add(today, -days) if calendar.is_working_day(today) else today
    late = list(
        FollowUp.objects.select_for_update(of=("self",))
        .filter(status__in=FollowUp.OPEN, escalated_at__isnull=True, due_on__lte=cutoff)
        .select_related("customer", "owner")[:5000]
    )
    assignees = Assignees()
    languages = dict(User.objects.values_list("pk", "language"))
    notes = []
    for f in late:
        manager = assignees.manager_of(f.customer.team_id)
        if manager and manager != f.owner_id:
            with translation.override(languages.get(manager) or settings.LANGUAGE_CODE):
                text = _(
                    "%(owner)s's follow-up of %(customer)s is overdue since %(due)s: %(content)s"
                ) % {
                    "owner": f.owner or "—",
                    "customer": f.customer,
                    "due": f.due_on.isoformat(),
                    "content": f.content,
                }
            notes.append(
                Notification(
                    user_id=manager,
                    text=text[:300],
                    url=reverse("customers:detail", args=[f.customer_id]),
                    customer_id=f.customer_id,
                )
            )
    Notification.objects.bulk_create(notes)
    FollowUp.objects.filter(pk__in=[f.pk for f in late]).update(escalated_at=timezone.now())
    return len(late)


# --- the calendar feed --------------------------------------------------------------------------
def calendar_feed(user) -> CalendarFeed:
    return CalendarFeed.objects.get_or_create(user=user)[0]


def reset_feed(user) -> CalendarFeed:
    CalendarFeed.objects.filter(user=user).delete()
    return CalendarFeed.objects.create(user=user)
