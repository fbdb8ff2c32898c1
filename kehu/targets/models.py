"""Sales targets (销售目标): an amount of one metric for one period and one scope (the company,
a team or a rep), decomposed top-down — company → teams → reps, year → quarters → months — into
children that add up exactly to their parent. Actuals are never stored: see metrics.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import periods


class Target(models.Model):
    class Metric(models.TextChoices):
        WON_AMOUNT = "won_amount", _("Won amount")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        COLLECTIONS = "collections", _("Collections")

    class Method(models.TextChoices):
        EQUAL = "equal", _("Equal")
        SHARE = "share", _("By last period's share")
        CAPACITY = "capacity", _("By capacity weights")
        MANUAL = "manual", _("Manual")

    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    period = models.CharField(_("period"), max_length=10, choices=periods.Kind.choices)
    start = models.DateField(_("period start"))
    # neither: the company's; a team's (its subtree); or one person's
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    amount = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    method = models.CharField(
        _("decomposition method"), max_length=10, choices=Method.choices, blank=True
    )
    locked = models.BooleanField(_("locked"), default=False)
    alerted_on = models.DateField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["metric", "start", "period", "id"]
        indexes = [
            models.Index(fields=["metric", "period", "start"], name="target_period"),
            models.Index(fields=["user", "start"], name="target_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(user__isnull=True),
                name="target_one_scope",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_not_negative"),
            models.UniqueConstraint(
                fields=["metric", "period", "start"],
                condition=models.Q(team__isnull=True, user__isnull=True),
                name="target_company_once",
            ),
            models.UniqueConstraint(
                fields=["metric", "period", "start", "team"],
                condition=models.Q(team__isnull=False),
                name="target_team_once",
            ),
            models.UniqueConstraint(
                fields=["metric", "period", "start", "user"],
                condition=models.Q(user__isnull=False),
                name="target_user_once",
            ),
        ]

    def __str__(self):
        return f"{self.scope_label} · {self.period_label} · {self.get_metric_display()}"

    @property
    def end(self):
        return periods.end(self.period, self.start)

    @property
    def period_label(self) -> str:
        return periods.label(self.period, self.start)

    @property
    def scope_label(self) -> str:
        if self.user_id:
            return str(self.user)
        if self.team_id:
            return str(self.team)
        return str(_("Whole company"))

    @property
    def whole_units(self) -> bool:
        """Counts (new customers) are split in whole units, money to the cent."""
        return self.metric == self.Metric.NEW_CUSTOMERS


class TargetChange(models.Model):
    """A change to a target's amount: every change after locking carries its reason."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="changes")
    before = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    after = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.TextField(_("reason"), blank=True)
    while_locked = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.target_id}: {self.before} → {self.after}"
