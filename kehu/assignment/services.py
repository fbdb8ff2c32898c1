"""Lead assignment: a team's rule, its preview, and the run that hands its new leads out.

**Which leads wait for assignment.** A customer with status *lead*, no owner, not in the public
pool (`pooled_at` empty) and a team: the team is its queue. This is the one combination the
existing model leaves unused, so no customer field is added:

- an owner is never blank by accident today: `customers.services.create_customer` and the
  spreadsheet import make the creator the owner when none is named;
- an ownerless customer *in* the pool (`pooled_at` set) was released for neglect and is for reps
  to claim (kehu.followups.pool), not to be pushed onto someone;
- an ownerless customer without a team belongs to nobody's queue; the unassigned list shows
  such leads to directors so they are never silently dropped.

So the queue fills from whatever creates a lead for a team without naming a person (inbound
leads through the API, a data load, the admin). A newly saved queued lead is assigned right
after its transaction commits when its team's rule is switched on (the post_save hook in
apps.py); a daily job runs every active rule for whatever is still waiting.

**Who gets them.** The active reps of the team's subtree (a region's rule feeds its groups'
reps), through kehu.assignment.allocate; the owner is set by `customers.services.bulk_assign`,
one call per rep, so audit entries, the customer's team and the hand-over of open follow-ups
are exactly those of a manager's bulk reassignment (the nightly follow-up planning then plans
the lead's cadence as for any newly owned customer). Runs act as the person who pressed the
button, or for the daily job and the hook as the team's nearest manager (a director if none).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.followups.services import notify

from . import allocate as alloc
from .models import Assignment, AssignmentRule, TierRule

MAX_CAPACITY = Decimal("999.99")


# --- who may do what ------------------------------------------------------------------------
def can_manage(actor) -> bool:
    """Managers (their subtree's teams) and directors/admins (every team) set rules."""
    return (
        actor.is_authenticated and actor.is_active and (actor.sees_everything or actor.is_manager)
    )


def managed_teams(actor) -> QuerySet:
    if not can_manage(actor):
        return Team.objects.none()
    if actor.sees_everything:
        return Team.objects.all()
    if not actor.team_id:
        return Team.objects.none()
    return Team.objects.filter(path__startswith=actor.team.path)


def get_team(actor, pk) -> Team:
    """The team if the actor may set its rule; 404 otherwise (its existence is not leaked)."""
    try:
        return managed_teams(actor).get(pk=pk)
    except (Team.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such team.")) from None


def manageable_users(actor) -> QuerySet:
    """Salespeople whose seniority, capacity and limit the actor may change."""
    teams = managed_teams(actor)
    sales = User.objects.filter(is_active=True).exclude(role=User.Role.VIEWER)
    if actor.sees_everything:
        return sales
    return sales.filter(team__in=teams)


# --- the queue and the reps -----------------------------------------------------------------
def waiting_leads() -> QuerySet:
    """Every lead waiting for assignment, whatever its team (see the module docstring)."""
    return Customer.objects.filter(
        status=Customer.Status.LEAD, owner__isnull=True, pooled_at__isnull=True
    )


def team_reps(team: Team) -> QuerySet:
    return User.objects.filter(
        is_active=True, role=User.Role.REP, team_id__in=access.team_subtree_ids(team)
    ).order_by("pk")


def rule_for(team: Team) -> AssignmentRule:
    """The team's rule, or an unsaved default (switched off, no tier rules)."""
    rule = AssignmentRule.objects.filter(team=team).prefetch_related("tier_rules").first()
    return rule or AssignmentRule(team=team)


def _tier_limits(rule: AssignmentRule) -> list[alloc.TierLimit]:
    if rule.pk is None:
        return []
    return [
        alloc.TierLimit(t.tier, frozenset(t.seniorities or ()), t.max_per_rep)
        for t in rule.tier_rules.all()
    ]


def _rep_rows(reps: list[User]) -> list[alloc.Rep]:
    """Each rep with their owned customers, in total and per tier: one grouped query."""
    owned: dict[int, int] = {r.pk: 0 for r in reps}
    tiers: dict[int, dict[str, int]] = {r.pk: {} for r in reps}
    for row in (
        Customer.objects.filter(owner_id__in=list(owned))
        .values("owner_id", "tier")
        .annotate(n=Count("id"))
        .order_by()
    ):
        owned[row["owner_id"]] += row["n"]
        if row["tier"]:
            tiers[row["owner_id"]][row["tier"]] = row["n"]
    return [
        alloc.Rep(r.pk, r.capacity, r.seniority, owned[r.pk], r.customer_limit, tiers[r.pk])
        for r in reps
    ]


# --- reasons, in words --------------------------------------------------------------------------
def _seniority_names(values) -> str:
    labels = dict(User.Seniority.choices)
    return "/".join(str(labels.get(v, v)) for v in User.Seniority.values if v in values)


def reason_text(outcome: alloc.Outcome, limits: dict, weights: dict | None = None) -> str:
    """Why a lead went where it went, in the active language. `limits`: tier → TierLimit."""
    tier = outcome.lead.tier
    limit = limits.get(tier)
    if outcome.rep_id is not None:
        text = _("Round-robin by capacity (weight %(weight)s).") % {
            "weight": (weights or {}).get(outcome.rep_id, "1.00")
        }
        if limit and limit.seniorities:
            text += " " + _("Tier %(tier)s: %(who)s reps only.") % {
                "tier": tier,
                "who": _seniority_names(limit.seniorities),
            }
        return text
    if outcome.reason == alloc.NO_REPS:
        return _("The team has no active sales reps.")
    if outcome.reason == alloc.NO_CAPACITY:
        return _("Every rep in the team has capacity 0.")
    if outcome.reason == alloc.SENIORITY:
        return _("Tier %(tier)s leads go only to %(who)s reps, and the team has none.") % {
            "tier": tier,
            "who": _seniority_names(limit.seniorities),
        }
    if outcome.reason == alloc.TIER_FULL:
        return _(
            "Every rep who may take tier %(tier)s already owns %(n)s tier %(tier)s customers."
        ) % {"tier": tier, "n": limit.max_per_rep}
    if outcome.reason == alloc.LIMIT:
        return _("Every rep who could take it is at their customer limit.")
    return _("No one could take it.")


# --- preview -------------------------------------------------------------------------------------
@dataclass
class Row:
    customer: dict  # id, name, tier, created_at
    rep: User | None
    reason: str


@dataclass
class Plan:
    team: Team
    rule: AssignmentRule
    reps: list[User]
    rows: list[Row]
    counts: dict[int, int] = field(default_factory=dict)  # leads per rep in this plan
    allocation: alloc.Allocation | None = None
    limits: dict = field(default_factory=dict)  # tier → allocate.TierLimit
    weights: dict = field(default_factory=dict)  # rep id → capacity

    def reason(self, outcome: alloc.Outcome) -> str:
        return reason_text(outcome, self.limits, self.weights)

    @property
    def assigned(self) -> list[Row]:
        return [r for r in self.rows if r.rep is not None]

    @property
    def unassigned(self) -> list[Row]:
        return [r for r in self.rows if r.rep is None]


def _plan(team: Team, rule: AssignmentRule, *, lock: bool = False) -> Plan:
    leads = waiting_leads().filter(team=team).order_by("created_at", "id")
    if lock:
        leads = leads.select_for_update()
    leads = list(leads.values("id", "name", "tier", "created_at"))
    reps = list(team_reps(team))
    rep_rows = _rep_rows(reps)
    limits = _tier_limits(rule)
    allocation = alloc.allocate(
        [alloc.Lead(c["id"], c["tier"] or "") for c in leads],
        rep_rows,
        limits,
        respect_limits=rule.respect_limit,
        state=rule.state or {},
    )
    by_id = {r.pk: r for r in reps}
    owned = {r.id: r.owned for r in rep_rows}
    for rep in reps:
        rep.owned = owned[rep.pk]
    plan = Plan(
        team,
        rule,
        reps,
        [],
        {},
        allocation,
        {t.tier: t for t in limits},
        {r.pk: r.capacity for r in reps},
    )
    plan.rows = [
        Row(customer, by_id.get(o.rep_id), plan.reason(o))
        for customer, o in zip(leads, allocation.outcomes, strict=True)
    ]
    plan.counts = {rid: len(out) for rid, out in allocation.by_rep().items()}
    return plan


def preview(actor, team: Team) -> Plan:
    """Who would get which waiting lead under the team's saved rule (on or off). Writes
    nothing."""
    team = get_team(actor, team.pk)
    return _plan(team, rule_for(team))


# --- rules ---------------------------------------------------------------------------------------
def _int_or_none(value, field_name: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        errors.setdefault(field_name, []).append(_("Enter a whole number of 0 or more."))
        return None
    return number


@transaction.atomic
def save_rule(
    actor, team: Team, data: dict, tiers: list[dict], *, version: int | None = None
) -> AssignmentRule:
    """Saves the team's rule (switch, method, limits) and its tier rules. `tiers` rows:
    {"tier", "seniorities": [...], "max_per_rep"}; a row with neither is no rule."""
    access.require(can_manage(actor), _("Only a manager or director can set assignment rules."))
    team = get_team(actor, team.pk)
    rule = AssignmentRule.objects.select_for_update().filter(team=team).first()
    if rule is not None and version is not None and rule.version != version:
        raise ValidationError(
            {
                "version": [
                    _(
                        "%(user)s changed this rule after you opened it. Your changes were not "
                        "saved: review the current rule and edit again."
                    )
                    % {"user": rule.updated_by or _("someone")}
                ]
            }
        )
    errors: dict = {}
    method = data.get("method") or AssignmentRule.Method.CAPACITY
    if method not in AssignmentRule.Method.values:
        errors["method"] = [_("Choose a method.")]
    rows, seen = [], set()
    for row in tiers:
        tier = str(row.get("tier") or "").strip().upper()
        seniorities = [s for s in (row.get("seniorities") or []) if s]
        cap = _int_or_none(row.get("max_per_rep"), "max_per_rep", errors)
        if not seniorities and cap is None:
            continue
        if tier not in Customer.TIERS:
            errors.setdefault("tier", []).append(
                _("Tier must be one of %(tiers)s.") % {"tiers": "/".join(Customer.TIERS)}
            )
            continue
        if tier in seen:
            errors.setdefault("tier", []).append(_("Tier %(tier)s has two rules.") % {"tier": tier})
        seen.add(tier)
        if set(seniorities) - set(User.Seniority.values):
            errors.setdefault("seniorities", []).append(_("Choose seniorities from the list."))
        rows.append((tier, [s for s in User.Seniority.values if s in seniorities], cap))
    if errors:
        raise ValidationError(errors)
    if rule is None:
        rule = AssignmentRule(team=team)
    else:
        rule.version = F("version") + 1
    rule.active = bool(data.get("active"))
    rule.respect_limit = bool(data.get("respect_limit", True))
    rule.method = method
    rule.updated_by = actor
    rule.save()
    rule.refresh_from_db()
    TierRule.objects.filter(rule=rule).delete()
    TierRule.objects.bulk_create(
        TierRule(rule=rule, tier=t, seniorities=s, max_per_rep=cap) for t, s, cap in rows
    )
    return rule


@transaction.atomic
def set_rep_profile(actor, user: User, data: dict) -> User:
    """A salesperson's seniority, capacity weight and customer limit, set by their manager
    or a director."""
    access.require(can_manage(actor), _("Only a manager or director can change this."))
    user = manageable_users(actor).filter(pk=user.pk).first()
    if user is None:
        raise Http404(_("No such person."))
    errors: dict = {}
    seniority = data.get("seniority", user.seniority)
    if seniority not in User.Seniority.values:
        errors["seniority"] = [_("Choose a seniority.")]
    try:
        capacity = Decimal(str(data.get("capacity", user.capacity))).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        capacity = None
    if capacity is None or not Decimal(0) <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [
            _("Capacity is a number from 0 to %(max)s (1.00 is a full share).")
            % {"max": MAX_CAPACITY}
        ]
    limit = _int_or_none(data.get("customer_limit"), "customer_limit", errors)
    if errors:
        raise ValidationError(errors)
    user.seniority, user.capacity, user.customer_limit = seniority, capacity, limit
    user.save(update_fields=["seniority", "capacity", "customer_limit"])
    return user


# --- runs ----------------------------------------------------------------------------------------
@dataclass
class RunResult:
    assigned: int = 0
    unassigned: int = 0


def _acting_user(team: Team) -> User | None:
    """Who a scheduled run acts as: the nearest manager up the team tree, else a director,
    else an admin. Their name is on the audit entries."""
    ancestors = [int(p) for p in team.path.strip("/").split("/") if p]
    managers = {
        u.team_id: u
        for u in User.objects.filter(
            role=User.Role.MANAGER, is_active=True, team_id__in=ancestors
        ).order_by("-pk")
    }
    for team_id in reversed(ancestors):
        if team_id in managers:
            return managers[team_id]
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role=User.Role.DIRECTOR) | Q(role=User.Role.ADMIN) | Q(is_superuser=True))
        .order_by("role", "pk")
        .first()
    )


def _managers_to_tell(team: Team) -> list[User]:
    """The team's nearest managers (every manager of that team), else the directors."""
    ancestors = [int(p) for p in team.path.strip("/").split("/") if p]
    managers = list(
        User.objects.filter(role=User.Role.MANAGER, is_active=True, team_id__in=ancestors)
    )
    for team_id in reversed(ancestors):
        nearest = [m for m in managers if m.team_id == team_id]
        if nearest:
            return nearest
    return list(User.objects.filter(role=User.Role.DIRECTOR, is_active=True))


def _in_language(user: User, fn, *args) -> str:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return fn(*args)


def _rep_message(n: int, names: list[str]) -> str:
    text = ngettext(
        "%(n)s new lead was assigned to you: %(names)s",
        "%(n)s new leads were assigned to you: %(names)s",
        n,
    ) % {"n": n, "names": "、".join(names[:10]) + ("…" if len(names) > 10 else "")}
    return text


def _manager_message(n: int, team: str) -> str:
    return ngettext(
        "%(n)s new lead of %(team)s could not be assigned: see the unassigned leads.",
        "%(n)s new leads of %(team)s could not be assigned: see the unassigned leads.",
        n,
    ) % {"n": n, "team": team}


def run(actor, team: Team, *, now=None) -> RunResult:
    """Assigns the team's waiting leads by its rule. `actor` None is the system (the daily job,
    the new-lead hook): it runs switched-on rules only. A person may run the saved rule
    whether or not it is switched on: pressing "assign now" is their decision."""
    now = now or timezone.now()
    with transaction.atomic():
        if actor is not None:
            access.require(can_manage(actor), _("Only a manager or director can assign leads."))
            team = get_team(actor, team.pk)
        # one run per team at a time: the rule row is the lock, and the leads are re-read
        # under it so a lead is never handed out twice
        rule = (
            AssignmentRule.objects.select_for_update()
            .filter(team=team)
            .select_related("team")
            .first()
        )
        if rule is None or (actor is None and not rule.active):
            return RunResult()
        acting = actor or _acting_user(team)
        plan = _plan(team, rule, lock=True)
        if not plan.rows:
            return RunResult()
        # the reasons as stored: in the install's language
        with translation.override(settings.LANGUAGE_CODE):
            stored = [plan.reason(o) for o in plan.allocation.outcomes]
            if acting is None:  # nobody may assign at all: every lead waits, saying so
                stored = [_("No manager or director to assign the leads as.")] * len(stored)
        if acting is None:
            for row in plan.rows:
                row.rep = None
        else:
            _assign(acting, plan, stored, now)
            rule.state = plan.allocation.state
            rule.save(update_fields=["state"])
        _record_waiting(plan, stored, now)
    return RunResult(len(plan.assigned), len(plan.unassigned))


def _assign(acting: User, plan: Plan, stored: list[str], now) -> None:
    by_rep: dict[int, list[Row]] = {}
    log = []
    for row, reason in zip(plan.rows, stored, strict=True):
        if row.rep is None:
            continue
        by_rep.setdefault(row.rep.pk, []).append(row)
        log.append(
            Assignment(
                customer_id=row.customer["id"],
                rule=plan.rule,
                team=plan.team,
                assigned_to=row.rep,
                at=now,
                reason=reason[:300],
            )
        )
    for rep in plan.reps:
        rows = by_rep.get(rep.pk)
        if rows:
            customer_services.bulk_assign(acting, [r.customer["id"] for r in rows], rep)
    assigned_ids = [a.customer_id for a in log]
    Assignment.objects.filter(customer_id__in=assigned_ids, assigned_to__isnull=True).delete()
    Assignment.objects.bulk_create(log)
    for rep in plan.reps:
        rows = by_rep.get(rep.pk)
        if not rows:
            continue
        names = [r.customer["name"] for r in rows]
        url = (
            reverse("customers:detail", args=[rows[0].customer["id"]])
            if len(rows) == 1
            else f"{reverse('customers:list')}?owner={rep.pk}&status=lead"
        )
        notify(
            [rep.pk],
            _in_language(rep, _rep_message, len(rows), names),
            url,
            rows[0].customer["id"] if len(rows) == 1 else None,
        )


def _record_waiting(plan: Plan, stored: list[str], now) -> None:
    """Leads that found nobody: one waiting row each with the latest reason; the managers are
    told about the ones that were not waiting before (once, not on every run)."""
    reasons = {
        row.customer["id"]: reason
        for row, reason in zip(plan.rows, stored, strict=True)
        if row.rep is None
    }
    if not reasons:
        return
    known = set(
        Assignment.objects.filter(customer_id__in=list(reasons), assigned_to__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    by_reason: dict[str, list[int]] = {}
    for cid in known:
        by_reason.setdefault(reasons[cid], []).append(cid)
    for reason, cids in by_reason.items():  # a few distinct reasons: a few statements
        Assignment.objects.filter(customer_id__in=cids, assigned_to__isnull=True).update(
            reason=reason[:300], rule=plan.rule
        )
    new = [cid for cid in reasons if cid not in known]
    Assignment.objects.bulk_create(
        Assignment(
            customer_id=cid,
            rule=plan.rule,
            team=plan.team,
            assigned_to=None,
            at=now,
            reason=reasons[cid][:300],
        )
        for cid in new
    )
    if new:
        url = reverse("assignment:unassigned")
        for manager in _managers_to_tell(plan.team):
            notify(
                [manager.pk],
                _in_language(manager, _manager_message, len(new), str(plan.team)),
                url,
            )


def run_all() -> dict:
    """Every switched-on rule, team by team (the daily job)."""
    done = {"teams": 0, "assigned": 0, "unassigned": 0}
    for rule in AssignmentRule.objects.filter(active=True).select_related("team"):
        result = run(None, rule.team)
        done["teams"] += 1
        done["assigned"] += result.assigned
        done["unassigned"] += result.unassigned
    return done


def assign_new_lead(team_id: int) -> RunResult:
    """After a queued lead is saved: its team's rule, if switched on, runs for it."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not AssignmentRule.objects.filter(team=team, active=True).exists():
        return RunResult()
    return run(None, team)


# --- the unassigned list ---------------------------------------------------------------------------
def unassigned_leads(actor) -> QuerySet:
    """Waiting leads the actor may see the queue of: their managed teams; for directors also
    the ones without a team."""
    leads = waiting_leads()
    if actor.sees_everything:
        return leads
    return leads.filter(team__in=managed_teams(actor))


def unassigned_list(actor) -> QuerySet:
    """The unassigned list as shown and exported: the actor's waiting leads, oldest first, each
    with the reason its last run left it waiting (`reason`) and when (`told_at`: when its
    manager was told); `why_unassigned` gives the reason to show."""
    waiting = Assignment.objects.filter(customer=OuterRef("pk"), assigned_to__isnull=True).order_by(
        "-at"
    )
    return (
        unassigned_leads(actor)
        .select_related("team", "team__assignment_rule")
        .annotate(
            reason=Subquery(waiting.values("reason")[:1]),
            told_at=Subquery(waiting.values("at")[:1]),
        )
        .order_by("created_at", "id")
    )


def why_unassigned(lead: Customer) -> str:
    """Why a lead of `unassigned_list` has no owner yet."""
    if lead.reason:
        return lead.reason
    if lead.team is None:
        return _("No team: give it an owner by hand.")
    if not _rule_active(lead.team):
        return _("The team has no assignment rule switched on.")
    return _("Waiting for the next run.")


def _rule_active(team: Team) -> bool:
    try:
        return team.assignment_rule.active
    except AssignmentRule.DoesNotExist:
        return False
