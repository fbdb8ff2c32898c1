"""Every write of tiering: policies, runs, proposals and their review rounds, overrides, and
applying approved changes. Set-based where it touches all customers."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core import audit, bulk, leases
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.followups import services as followups
from kehu.webhooks import events as webhooks

from . import metrics, scoring
from .models import (
    PolicyCriterion,
    PolicyTier,
    ProposalReview,
    TierChange,
    TierOverride,
    TierPolicy,
    TierProposal,
    TierRun,
    TierSnapshot,
)

REVIEW_ROUNDS = 2  # 1: the owner's manager, 2: the director


def can_set_policy(actor: User) -> bool:
    return actor.sees_everything


def spec(policy: TierPolicy) -> scoring.Policy:
    """The model as the pure-maths dataclass."""
    return scoring.Policy(
        criteria=tuple(
            scoring.Criterion(
                metric=c.metric,
                weight=float(c.weight),
                normalisation=c.normalisation,
                higher_is_better=c.higher_is_better,
                thresholds=tuple((float(t), float(v)) for t, v in c.thresholds),
                low=None if c.low is None else float(c.low),
                high=None if c.high is None else float(c.high),
            )
            for c in policy.criteria.all()
        ),
        tiers=tuple(scoring.Tier(t.label, float(t.value)) for t in policy.tiers.all()),
        cutoff=policy.cutoff,
    )


def _check(policy: scoring.Policy) -> None:
    unknown = [c.metric for c in policy.criteria if c.metric not in metrics.METRICS]
    errors = {m: [_("Unknown criterion.")] for m in unknown}
    try:
        scoring.validate(policy)
    except scoring.PolicyError as exc:
        for key, messages in exc.errors.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def build_spec(criteria: list[dict], tiers: list[dict], cutoff: str) -> scoring.Policy:
    """The pure policy from plain dicts (a form, an import), checked: raises ValidationError
    naming each problem."""
    pure = scoring.Policy(
        criteria=tuple(
            scoring.Criterion(
                metric=c["metric"],
                weight=float(c["weight"]),
                normalisation=c.get("normalisation", scoring.MINMAX),
                higher_is_better=c.get("higher_is_better", True),
                thresholds=tuple(tuple(map(float, t)) for t in c.get("thresholds", ())),
                low=None if c.get("low") is None else float(c["low"]),
                high=None if c.get("high") is None else float(c["high"]),
            )
            for c in criteria
        ),
        tiers=tuple(scoring.Tier(t["label"], float(t["value"])) for t in tiers),
        cutoff=cutoff,
    )
    _check(pure)
    return pure


@transaction.atomic
def create_policy(
    actor, name: str, criteria: list[dict], tiers: list[dict], cutoff: str, notes: str = ""
) -> TierPolicy:
    """A new draft version of the named policy. `criteria`: dicts of PolicyCriterion fields;
    `tiers`: dicts with label and value, best first."""
    access.require(can_set_policy(actor), _("Only a director can change the tier policy."))
    build_spec(criteria, tiers, cutoff)
    latest = TierPolicy.objects.filter(name=name).order_by("-version").first()
    policy = TierPolicy.objects.create(
        name=name,
        version=(latest.version + 1) if latest else 1,
        cutoff=cutoff,
        notes=notes,
        created_by=actor,
    )
    PolicyCriterion.objects.bulk_create(
        PolicyCriterion(
            policy=policy,
            position=i,
            metric=c["metric"],
            weight=Decimal(str(c["weight"])),
            normalisation=c.get("normalisation", scoring.MINMAX),
            higher_is_better=c.get("higher_is_better", True),
            thresholds=[list(t) for t in c.get("thresholds", ())],
            low=c.get("low"),
            high=c.get("high"),
        )
        for i, c in enumerate(criteria)
    )
    PolicyTier.objects.bulk_create(
        PolicyTier(policy=policy, position=i, label=t["label"], value=Decimal(str(t["value"])))
        for i, t in enumerate(tiers)
    )
    return policy


@transaction.atomic
def publish_policy(actor, policy: TierPolicy) -> TierPolicy:
    access.require(can_set_policy(actor), _("Only a director can change the tier policy."))
    if policy.status != TierPolicy.Status.DRAFT:
        raise ValidationError({"status": [_("Only a draft can be published.")]})
    TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).update(
        status=TierPolicy.Status.ARCHIVED
    )
    policy.status = TierPolicy.Status.PUBLISHED
    policy.published_at = timezone.now()
    policy.published_by = actor
    policy.save(update_fields=["status", "published_at", "published_by"])
    return policy


def active_overrides(today: date | None = None):
    today = today or timezone.localdate()
    return TierOverride.objects.filter(revoked_at__isnull=True, expires_on__gte=today)


def evaluate(policy, queryset=None, now=None):
    """Scores every customer (or `queryset`) with the policy (a TierPolicy or an unsaved
    scoring.Policy): (ids, scores, tiers, raw, normalised, floors). Pure arithmetic over
    arrays after one read."""
    pure = policy if isinstance(policy, scoring.Policy) else spec(policy)
    cols = metrics.read_columns(queryset, now=now)
    raw = metrics.raw_values(cols, [c.metric for c in pure.criteria])
    normalised = scoring.normalised_matrix(raw, pure)
    score = scoring.scores(normalised, pure)
    tiers = scoring.assign(score, cols.ids, pure)
    floors = scoring.score_floors(score, tiers, pure)
    return cols.ids, score, tiers, raw, normalised, floors


def _stats(raw: dict, pure: scoring.Policy) -> dict:
    out = {}
    for c in pure.criteria:
        known = raw[c.metric][~np.isnan(raw[c.metric])]
        out[c.metric] = {
            "low": float(known.min()) if len(known) else None,
            "high": float(known.max()) if len(known) else None,
            "known": len(known),
        }
        if c.normalisation == scoring.PERCENTILE and len(known):
            # 1,001 quantiles let one customer's percentile be explained later to within 0.1%
            out[c.metric]["quantiles"] = (
                np.quantile(known, np.linspace(0, 1, 1001)).round(4).tolist()
            )
    return out


STALE_AFTER = timedelta(minutes=30)  # a run that has not reported for this long has died


def start_run(actor, policy: TierPolicy | None = None, *, enqueue: bool = True) -> TierRun:
    """Queues a re-tiering of every customer with the published policy (or `policy`) as a
    background job; `actor` None is the scheduler. One run at a time: a second start while one
    is queued or running is refused (the unique `active` flag decides, not a read-then-write)."""
    access.require(
        actor is None or can_set_policy(actor), _("Only a director can start re-tiering.")
    )
    policy = policy or TierPolicy.objects.filter(status=TierPolicy.Status.PUBLISHED).first()
    if policy is None or policy.status != TierPolicy.Status.PUBLISHED:
        raise ValidationError({"policy": [_("Publish a tier policy before re-tiering.")]})
    _fail_stale_runs()
    try:
        with transaction.atomic():
            run = TierRun.objects.create(policy=policy, started_by=actor, active=True)
    except IntegrityError:
        raise ValidationError(
            {"run": [_("A re-tiering run is already queued or running.")]}
        ) from None
    if enqueue:
        from .tasks import retier_run

        retier_run.enqueue(run.pk)
    return run


def run_now(actor, policy: TierPolicy | None = None) -> TierRun:
    """Re-tiers in this process (the command line, the demo); the worker skips the run."""
    return execute_run(start_run(actor, policy, enqueue=False).pk)


def run_tiering(actor, policy: TierPolicy) -> TierRun:
    """Queues a run; with the immediate backend (tests) it has finished on return."""
    run = start_run(actor, policy)
    run.refresh_from_db()
    return run


def _lease(run_id: int) -> str:
    return f"tiering-run-{run_id}"


@leases.on_recovery
def _fail_stale_runs() -> int:
    """Fails the runs that will never finish, so that the next one may start: a running one
    whose process died (its lease is free: killed, out of memory), or one with no progress for
    STALE_AFTER (a queued run no worker picked up). Their writes were rolled back with them."""
    now = timezone.now()
    cutoff = now - STALE_AFTER
    running = TierRun.objects.filter(active=True, status=TierRun.Status.RUNNING)
    dead = [pk for pk in running.values_list("pk", flat=True) if not leases.alive(_lease(pk))]
    failed = TierRun.objects.filter(active=True, pk__in=dead).update(
        status=TierRun.Status.FAILED,
        active=None,
        error="stopped: its process ended before it finished",
        finished_at=now,
    )
    return failed + TierRun.objects.filter(active=True).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    ).update(
        status=TierRun.Status.FAILED,
        active=None,
        error="stopped: no progress for 30 minutes",
        finished_at=now,
    )


def current_tiers(ids: np.ndarray) -> np.ndarray:
    """Every customer's tier today, aligned with `ids` ('' for none or for a customer created
    since the scores were read)."""
    rows = np.array(Customer.objects.order_by("pk").values_list("pk", "tier"), dtype=object)
    out = np.full(len(ids), "", dtype="<U2")
    if len(rows) and len(ids):
        known = rows[:, 0].astype(np.int64)
        positions = np.clip(np.searchsorted(known, ids), 0, len(known) - 1)
        found = known[positions] == ids
        out[found] = rows[positions[found], 1].astype("<U2")
    return out


def execute_run(run_id: int) -> TierRun:
    """The job: scores every customer, writes each score with the run back to the customer,
    and proposes a change for each one whose tier would move, has no live override and no
    proposal pending. Customers' tiers do not change here: proposals go to review. Runs once
    even if two workers pick it up (the QUEUED → RUNNING claim is one conditional UPDATE), and
    writes all or nothing: a run killed half-way leaves no score or proposal of its own, and
    its lease tells the next run (or `kehu worker` starting) that it died."""
    with leases.holding(_lease(run_id)) as held:
        if not held:  # another worker is running it
            return TierRun.objects.select_related("policy", "started_by").get(pk=run_id)
        return _execute_run(run_id)


def _execute_run(run_id: int) -> TierRun:
    now = timezone.now()
    claimed = TierRun.objects.filter(pk=run_id, status=TierRun.Status.QUEUED).update(
        status=TierRun.Status.RUNNING, heartbeat_at=now
    )
    run = TierRun.objects.select_related("policy", "started_by").get(pk=run_id)
    if not claimed:
        return run

    def progress(percent):
        TierRun.objects.filter(pk=run_id).update(progress=percent, heartbeat_at=timezone.now())

    try:
        ids, score, tiers, raw, _normalised, floors = evaluate(run.policy)
        progress(40)
        score = np.round(score, 2)
        # Under the same policy as the last run, a customer whose score has not moved keeps
        # its row untouched (and the earlier run, same policy, as its "scored by"); after a
        # policy change every customer records the new run.
        previous = TierRun.objects.filter(status=TierRun.Status.DONE).exclude(pk=run_id).first()
        current = current_tiers(ids)
        protected = np.fromiter(active_overrides().values_list("customer_id", flat=True), np.int64)
        pending = np.fromiter(
            TierProposal.objects.filter(status=TierProposal.Status.PENDING).values_list(
                "customer_id", flat=True
            ),
            np.int64,
        )
        moves = (current != tiers.astype("<U2")) & ~np.isin(ids, protected) & ~np.isin(ids, pending)
        progress(70)
        # scores, proposals and the status in one transaction: all of the run or none of it
        with transaction.atomic():
            bulk.update_from(
                Customer._meta.db_table,
                [("score", "numeric(5,2)")],
                zip(ids.tolist(), score.tolist(), strict=True),
                constant={"score_run_id": run.pk},
                only_changed=previous is not None and previous.policy_id == run.policy_id,
            )
            proposals = _insert_proposals(
                run, ids[moves], current[moves], tiers[moves], score[moves]
            )
            labels, counts = np.unique(tiers.astype(str), return_counts=True)
            TierRun.objects.filter(pk=run_id).update(
                distribution={str(k): int(v) for k, v in zip(labels, counts, strict=True)},
                stats={"floors": floors, "criteria": _stats(raw, spec(run.policy))},
                customers=len(ids),
                proposals=proposals,
                status=TierRun.Status.DONE,
                progress=100,
                active=None,
                finished_at=timezone.now(),
            )
    except Exception as exc:
        TierRun.objects.filter(pk=run_id).update(
            status=TierRun.Status.FAILED,
            active=None,
            error=str(exc)[:2000],
            finished_at=timezone.now(),
        )
        raise
    run.refresh_from_db()
    return run


def _insert_proposals(run, ids, from_tiers, to_tiers, scores) -> int:
    """Pending proposals for the run, written set-based (executemany / COPY: a run can propose
    hundreds of thousands of changes)."""
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    actor = run.started_by_id
    rows = (
        (run.pk, cid, old, new, s, TierProposal.Status.PENDING.value, 1, actor, "", created)
        for cid, old, new, s in zip(
            ids.tolist(), from_tiers.tolist(), to_tiers.tolist(), scores.tolist(), strict=True
        )
    )
    columns = [
        "run_id",
        "customer_id",
        "from_tier",
        "to_tier",
        "score",
        "status",
        "round",
        "proposed_by_id",
        "reason",
        "created_at",
    ]
    bulk.insert_rows(TierProposal._meta.db_table, columns, rows)
    return len(ids)


def record_snapshot(day: date | None = None) -> int:
    """Today's tier distribution per team and owner (replacing the day's earlier one): one
    GROUP BY over customers, a few thousand rows out."""
    day = day or timezone.localdate()
    rows = (
        Customer.objects.order_by()
        .values("team_id", "owner_id", "tier")
        .annotate(customers=Count("pk"))
    )
    with transaction.atomic():
        TierSnapshot.objects.filter(day=day).delete()
        made = TierSnapshot.objects.bulk_create(TierSnapshot(day=day, **row) for row in rows)
    return len(made)


# --- proposals and review rounds ---------------------------------------------------------------
@transaction.atomic
def propose_change(actor, customer: Customer, to_tier: str, reason: str) -> TierProposal:
    """Anyone who may change the customer may propose a tier; nobody sets one without review."""
    customer = access.get_customer(actor, customer.pk, write=True)
    if to_tier not in Customer.TIERS:
        raise ValidationError({"to_tier": [_("Choose a valid tier.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the tier should change.")]})
    if to_tier == customer.tier:
        raise ValidationError({"to_tier": [_("The customer is already in this tier.")]})
    return TierProposal.objects.create(
        customer=customer,
        from_tier=customer.tier,
        to_tier=to_tier,
        proposed_by=actor,
        reason=reason.strip(),
    )


def may_review(actor: User, proposal: TierProposal) -> bool:
    if actor.is_read_only:
        return False
    if proposal.round >= REVIEW_ROUNDS:
        return actor.sees_everything
    # round 1: a manager whose subtree holds the customer, or a director
    return actor.sees_everything or (
        actor.is_manager
        and access.visible_customers(actor).filter(pk=proposal.customer_id).exists()
    )


@transaction.atomic
def review(
    actor,
    proposal: TierProposal,
    decision: str,
    comment: str = "",
    adjusted_tier: str = "",
    effective_on: date | None = None,
) -> TierProposal:
    proposal = TierProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != TierProposal.Status.PENDING:
        raise ValidationError({"decision": [_("This proposal has already been decided.")]})
    if not may_review(actor, proposal):
        raise access.AccessDenied(_("You cannot review this proposal in this round."))
    if (
        decision in (ProposalReview.Decision.REJECT, ProposalReview.Decision.COMMENT)
        and not comment.strip()
    ):
        raise ValidationError({"comment": [_("Add a comment so the proposer knows why.")]})
    if decision == ProposalReview.Decision.ADJUST and adjusted_tier not in Customer.TIERS:
        raise ValidationError({"adjusted_tier": [_("Choose a valid tier.")]})
    ProposalReview.objects.create(
        proposal=proposal,
        reviewer=actor,
        round=proposal.round,
        decision=decision,
        adjusted_tier=adjusted_tier if decision == ProposalReview.Decision.ADJUST else "",
        comment=comment.strip(),
    )
    if decision == ProposalReview.Decision.COMMENT:
        return proposal
    if decision == ProposalReview.Decision.REJECT:
        proposal.status = TierProposal.Status.REJECTED
        proposal.decided_at = timezone.now()
    else:
        if decision == ProposalReview.Decision.ADJUST:
            proposal.to_tier = adjusted_tier
        if proposal.round < REVIEW_ROUNDS:
            proposal.round += 1
        else:
            proposal.status = TierProposal.Status.APPROVED
            proposal.decided_at = timezone.now()
            proposal.effective_on = effective_on or timezone.localdate()
    proposal.save()
    return proposal


@transaction.atomic
def apply_due(today: date | None = None, actor=None) -> int:
    """Applies approved proposals whose date has come: the customer's tier changes, the history
    and the audit log record it. Returns how many customers changed."""
    today = today or timezone.localdate()
    due = list(
        TierProposal.objects.select_for_update(of=("self",))
        .filter(status=TierProposal.Status.APPROVED, effective_on__lte=today)
        .select_related("customer", "run")
    )
    protected = set(active_overrides(today).values_list("customer_id", flat=True))
    changes, events = [], []
    for p in due:
        if p.customer_id in protected:
            continue
        changes.append(
            TierChange(
                customer_id=p.customer_id,
                from_tier=p.customer.tier,
                to_tier=p.to_tier,
                score=p.score,
                policy_id=p.run.policy_id if p.run else None,
                source=TierChange.Source.REVIEW,
                by=actor,
            )
        )
        events.append(
            audit.event(
                actor,
                AuditEvent.Action.UPDATE,
                p.customer,
                customer_id=p.customer_id,
                changes=[audit.field_change(Customer, "tier", p.customer.tier, p.to_tier)],
            )
        )
    by_tier: dict[str, list[int]] = {}
    for c in changes:
        by_tier.setdefault(c.to_tier, []).append(c.customer_id)
    for tier, ids in by_tier.items():
        Customer.objects.filter(pk__in=ids).update(tier=tier, updated_at=timezone.now())
    TierChange.objects.bulk_create(changes)
    webhooks.tier_changed(changes)
    AuditEvent.objects.bulk_create(events)
    TierProposal.objects.filter(
        pk__in=[p.pk for p in due if p.customer_id not in protected]
    ).update(status=TierProposal.Status.APPLIED)
    followups.replan([c.customer_id for c in changes])  # the new tier's cadence
    return len(changes)


@transaction.atomic
def set_override(
    actor, customer: Customer, tier: str, reason: str, expires_on: date
) -> TierOverride:
    """A manager or director fixes a tier by hand until `expires_on`; re-tiering skips it."""
    access.require(access.can_reassign(actor), _("Only a manager or director can override a tier."))
    customer = access.get_customer(actor, customer.pk, write=True)
    errors = {}
    if tier not in Customer.TIERS:
        errors["tier"] = [_("Choose a valid tier.")]
    if not reason.strip():
        errors["reason"] = [_("An override needs a reason.")]
    if expires_on <= timezone.localdate():
        errors["expires_on"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)
    active_overrides().filter(customer=customer).update(revoked_at=timezone.now())
    override = TierOverride.objects.create(
        customer=customer, tier=tier, reason=reason.strip(), expires_on=expires_on, created_by=actor
    )
    if customer.tier != tier:
        TierChange.objects.create(
            customer=customer,
            from_tier=customer.tier,
            to_tier=tier,
            source=TierChange.Source.OVERRIDE,
            by=actor,
        )
        audit.record(
            actor,
            AuditEvent.Action.UPDATE,
            customer,
            customer_id=customer.pk,
            changes=[audit.field_change(Customer, "tier", customer.tier, tier)],
        )
        Customer.objects.filter(pk=customer.pk).update(tier=tier, updated_at=timezone.now())
        followups.replan([customer.pk])
    TierProposal.objects.filter(customer=customer, status=TierProposal.Status.PENDING).filter(
        ~Q(to_tier=tier)
    ).update(status=TierProposal.Status.REJECTED, decided_at=timezone.now())
    return override


# --- the schedule -------------------------------------------------------------------------------
RETIER_JOB = "tiering.retier"


def retier_schedule():
    """The scheduled re-tier's calendar and next run."""
    from kehu.core import schedule

    return next(j for j in schedule.ensure_jobs() if j.name == RETIER_JOB)


def set_retier_schedule(actor, every: str):
    from kehu.core import schedule

    access.require(can_set_policy(actor), _("Only a director can change the tier policy."))
    if every not in schedule.Every.values:
        raise ValidationError({"every": [_("Choose how often re-tiering runs.")]})
    return schedule.set_every(RETIER_JOB, every)
