"""Tier policies (versioned), re-tiering runs, proposals and their review rounds, overrides and
the tier history of each customer (C2)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TierPolicy(models.Model):
    """One version of the tiering rules. Drafts are edited and previewed; publishing freezes a
    version and archives the one before it, so every score can name the version it came from."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Cutoff(models.TextChoices):
        SCORE = "score", _("By score")
        SHARE = "share", _("By share of customers")

    name = models.CharField(_("policy name"), max_length=80)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    cutoff = models.CharField(
        _("tier cut-offs"), max_length=10, choices=Cutoff.choices, default=Cutoff.SCORE
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="tierpolicy_unique_version"),
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="published"),
                name="tierpolicy_one_published",
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class PolicyCriterion(models.Model):
    class Normalisation(models.TextChoices):
        MINMAX = "minmax", _("Min–max")
        PERCENTILE = "percentile", _("Percentile rank")
        THRESHOLDS = "thresholds", _("Thresholds")

    policy = models.ForeignKey(TierPolicy, on_delete=models.CASCADE, related_name="criteria")
    metric = models.CharField(_("criterion"), max_length=40)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    normalisation = models.CharField(
        _("normalisation"),
        max_length=12,
        choices=Normalisation.choices,
        default=Normalisation.MINMAX,
    )
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    low = models.DecimalField(
        _("lower bound"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    high = models.DecimalField(
        _("upper bound"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # [[raw value, normalised value 0–1], …] rising
    thresholds = models.JSONField(_("thresholds"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="criterion_unique_metric")
        ]

    def __str__(self):
        return f"{self.label} ({self.weight:g})"

    @property
    def label(self) -> str:
        from .metrics import METRICS

        metric = METRICS.get(self.metric)
        return str(metric.label) if metric else self.metric


class PolicyTier(models.Model):
    policy = models.ForeignKey(TierPolicy, on_delete=models.CASCADE, related_name="tiers")
    label = models.CharField(_("tier"), max_length=2)
    # by score: the lowest score of the tier; by share: the share of customers, 0–1
    value = models.DecimalField(_("cut-off"), max_digits=7, decimal_places=4)
    position = models.PositiveSmallIntegerField(default=0)  # 0 = best

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "label"], name="policytier_unique_label")
        ]

    def __str__(self):
        return self.label


class CustomerRating(models.Model):
    """A manual rating of a customer (1–5) that a criterion can use: industry growth,
    willingness to cooperate …"""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="ratings"
    )
    metric = models.CharField(_("rating"), max_length=40)
    value = models.PositiveSmallIntegerField(_("value"))
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(_("rated at"), auto_now=True)

    class Meta:
        verbose_name = _("manual rating")
        verbose_name_plural = _("manual ratings")
        constraints = [
            models.UniqueConstraint(fields=["metric", "customer"], name="rating_unique_metric"),
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5), name="rating_between_1_and_5"
            ),
        ]

    def __str__(self):
        return f"{self.metric}={self.value}"


class TierRun(models.Model):
    """One scoring of all customers with one policy: the proposals it made and the numbers
    the explanations need (each criterion's bounds, the tiers' lowest scores)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    policy = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # True while queued or running, NULL after: the unique index lets one run at a time exist
    active = models.BooleanField(null=True, unique=True, editable=False, default=None)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    proposals = models.PositiveIntegerField(_("changes proposed"), default=0)
    distribution = models.JSONField(_("distribution"), default=dict, blank=True)  # {"A": n, …}
    # {"floors": {"A": 80.0, …}, "criteria": {"amount": {"low": …, "high": …}, …}}
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("re-tiering run")
        verbose_name_plural = _("re-tiering runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.policy} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class TierProposal(models.Model):
    """A proposed tier change for one customer, reviewed in rounds (the owner's manager, then
    the director). Approved changes take effect on `effective_on`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        APPLIED = "applied", _("Applied")

    run = models.ForeignKey(
        TierRun, null=True, blank=True, on_delete=models.CASCADE, related_name="proposal_set"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tier_proposals"
    )
    from_tier = models.CharField(_("from tier"), max_length=2, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=2)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    round = models.PositiveSmallIntegerField(_("review round"), default=1)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    effective_on = models.DateField(_("takes effect on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier proposal")
        verbose_name_plural = _("tier proposals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "round"], name="proposal_status_round")]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "customer"],
                condition=models.Q(run__isnull=False),
                name="proposal_once_per_run",
            )
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.from_tier or '—'} → {self.to_tier}"


class ProposalReview(models.Model):
    """One reviewer's word on a proposal: approve, reject, adjust (to another tier) or a
    comment in a dispute thread."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        ADJUST = "adjust", _("Adjust")
        COMMENT = "comment", _("Comment")

    proposal = models.ForeignKey(TierProposal, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    round = models.PositiveSmallIntegerField(_("review round"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    adjusted_tier = models.CharField(_("adjusted tier"), max_length=2, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_decision_display()} ({self.round})"


class TierOverride(models.Model):
    """A tier set by hand, with a reason, that re-tiering leaves alone until it expires."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tier_overrides"
    )
    tier = models.CharField(_("tier"), max_length=2)
    reason = models.TextField(_("reason"))
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        indexes = [models.Index(fields=["customer", "expires_on"], name="override_customer_expiry")]

    def __str__(self):
        return f"{self.customer_id}: {self.tier} ≤ {self.expires_on}"


class TierChange(models.Model):
    """The history: every time a customer's tier actually changed, and why."""

    class Source(models.TextChoices):
        REVIEW = "review", _("Approved proposal")
        OVERRIDE = "override", _("Manual override")
        IMPORT = "import", _("Import")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.CharField(_("from tier"), max_length=2, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=2)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    policy = models.ForeignKey(
        TierPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="tierchange_customer_at")]

    def __str__(self):
        return f"{self.customer_id}: {self.from_tier or '—'} → {self.to_tier}"


class TierSnapshot(models.Model):
    """How many customers each owner had in each tier on a day: the distribution over time,
    recorded daily by the scheduler and after each applied change, so charts never scan the
    customer table."""

    day = models.DateField(_("day"))
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=2, blank=True)
    customers = models.PositiveIntegerField(_("customers"))

    class Meta:
        verbose_name = _("tier snapshot")
        verbose_name_plural = _("tier snapshots")
        indexes = [models.Index(fields=["day", "tier"], name="tier_snapshot_day")]

    def __str__(self):
        return f"{self.day} {self.tier or '-'}: {self.customers}"
