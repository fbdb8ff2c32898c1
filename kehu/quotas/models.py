"""Service quotas by tier (客户配额): what a customer of each tier is allowed — support hours a
month, a discount ceiling, free samples a quarter — and the uses logged against it.

A quota is either an *allowance*, consumed over a period (month, quarter, year), or a
*ceiling*, a maximum for any single use (a discount of at most 15%). What a customer may use is
the allowance of its current tier (no row for a tier: nothing). Each use carries the start of
its period in the company's time zone, so "used this period" is one indexed sum, and the
allowance starts afresh with the next period without any job resetting it (see periods.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 12, "decimal_places": 2}


class Period(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    NONE = "none", _("Per use")


class Quota(models.Model):
    class Kind(models.TextChoices):
        ALLOWANCE = "allowance", _("Allowance per period")
        CEILING = "ceiling", _("Ceiling per use")

    class OverUse(models.TextChoices):
        REFUSE = "refuse", _("Refuse")
        APPROVAL = "approval", _("Manager's approval")

    name = models.CharField(_("quota"), max_length=50, unique=True)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("hours, %, pieces …"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ALLOWANCE)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    over_use = models.CharField(
        _("over-use"), max_length=10, choices=OverUse.choices, default=OverUse.APPROVAL
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # bumped on every save; a stale form is refused (services.save_quota)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("service quota")
        verbose_name_plural = _("service quotas")
        ordering = ["name"]
        constraints = [
            # a ceiling is per use; an allowance is counted over a period
            models.CheckConstraint(
                condition=(models.Q(kind="ceiling", period="none") | models.Q(kind="allowance"))
                & ~models.Q(kind="allowance", period="none"),
                name="quota_kind_period",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_ceiling(self) -> bool:
        return self.kind == self.Kind.CEILING


class QuotaAllowance(models.Model):
    """How much of a quota a customer of one tier has per period (or at most per use)."""

    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), on_delete=models.CASCADE, related_name="allowances"
    )
    tier = models.CharField(_("tier"), max_length=2)
    amount = models.DecimalField(_("allowance"), **AMOUNT)

    class Meta:
        verbose_name = _("quota allowance")
        verbose_name_plural = _("quota allowances")
        ordering = ["quota", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["quota", "tier"], name="quota_allowance_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="quota_allowance_gte_0"),
        ]

    def __str__(self):
        return f"{self.quota} · {self.tier}: {self.amount}"


class QuotaUsage(models.Model):
    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Waiting for approval")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="quota_usages",
        db_index=False,  # (customer, quota, period_start) below serves customer lookups
    )
    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), on_delete=models.PROTECT, related_name="usages"
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    # the day of the use in the company's time zone (settings.TIME_ZONE)
    used_on = models.DateField(_("used on"))
    # the first day of the quota's period holding `used_on` (used_on itself for a ceiling)
    period_start = models.DateField(_("period"))
    # the tier the customer had when the use was logged (its allowance was checked against)
    tier = models.CharField(_("tier"), max_length=2, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPROVED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quota usage")
        verbose_name_plural = _("quota usages")
        ordering = ["-used_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "quota", "period_start"], name="quota_use_period"),
            models.Index(fields=["used_on", "quota"], name="quota_use_day"),
            models.Index(
                fields=["status", "created_at"],
                name="quota_use_pending",
                condition=models.Q(status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="quota_usage_gt_0")
        ]

    def __str__(self):
        return f"{self.quota} {self.amount} · {self.used_on:%Y-%m-%d}"
