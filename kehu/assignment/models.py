from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentRule(models.Model):
    """How a team's new leads are routed: one rule per team, switched on or off. The leads
    queued on the team (see kehu.assignment.services) go to the active reps of its subtree."""

    class Method(models.TextChoices):
        CAPACITY = "capacity", _("Round-robin weighted by capacity")

    team = models.OneToOneField(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="assignment_rule",
    )
    active = models.BooleanField(_("switched on"), default=False)
    method = models.CharField(
        _("assignment method"), max_length=20, choices=Method.choices, default=Method.CAPACITY
    )
    respect_limit = models.BooleanField(
        _("respect customer limits"),
        default=True,
        help_text=_("Reps who own their customer limit get no new leads."),
    )
    # each rep's entitlement and count so far (kehu.assignment.allocate), so that fairness
    # holds from one run to the next; written by runs only, never by the preview
    state = models.JSONField(default=dict, blank=True, editable=False)
    # bumped on every save of the rule; a form carries the version it was read at
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self):
        return str(self.team)


class TierRule(models.Model):
    """ "A-tier leads only to senior reps, at most N per rep": who may take a tier's leads and
    how many customers of that tier one rep may own."""

    rule = models.ForeignKey(AssignmentRule, on_delete=models.CASCADE, related_name="tier_rules")
    tier = models.CharField(_("tier"), max_length=2)
    # the seniorities allowed (User.Seniority values); empty: any
    seniorities = models.JSONField(_("seniorities allowed"), default=list, blank=True)
    max_per_rep = models.PositiveIntegerField(
        _("at most per rep"),
        null=True,
        blank=True,
        help_text=_("Customers of this tier one rep may own; blank: no cap."),
    )

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        ordering = ["tier"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "tier"], name="tierrule_unique_rule_tier")
        ]

    def __str__(self):
        return f"{self.rule} · {self.tier}"


class Assignment(models.Model):
    """The log: a lead given to a rep by a rule, with why. A row without `assigned_to` is a
    lead that found nobody: it is on the unassigned list with its reason, its manager was told
    once, and the row goes when the lead is assigned."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    rule = models.ForeignKey(
        AssignmentRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-at", "-id"]
        # one waiting row per lead is kept by the service, not by a unique constraint: a merge
        # moves both customers' rows onto the kept one (customers.services._move_related)
        indexes = [models.Index(fields=["team", "at"], name="assignment_team_at")]

    def __str__(self):
        return f"{self.customer_id} → {self.assigned_to_id or '—'}"
