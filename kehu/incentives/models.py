"""Commission plans (提成方案): tiered rates by attainment of a target, with a mode, an
accelerator and caps. The arithmetic is in commission.py; a plan turns into its plain-data
form with `terms()`. Payouts are never stored: they are computed from the live actuals."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.targets import periods
from kehu.targets.models import Target

from . import commission


class CommissionPlan(models.Model):
    class Mode(models.TextChoices):
        WHOLE = commission.WHOLE, _("Whole: the rate of the band reached on the whole actual")
        MARGINAL = commission.MARGINAL, _("Marginal: each band's rate on its own slice")

    name = models.CharField(_("name"), max_length=80)
    metric = models.CharField(
        _("metric"), max_length=20, choices=Target.Metric.choices, default="won_amount"
    )
    period = models.CharField(
        _("period"), max_length=10, choices=periods.Kind.choices, default=periods.Kind.QUARTER
    )
    # the people it applies to: a team's subtree, or everybody (blank)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The team and the teams under it; blank: everybody."),
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.WHOLE)
    accelerator = models.DecimalField(
        _("accelerator above 100%"),
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Multiplies the rate above 100% attainment (1.00: none)."),
    )
    cap_amount = models.DecimalField(
        _("payout cap (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cap_percent = models.DecimalField(
        _("attainment counted at most (%)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        ordering = ["-active", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accelerator__gte=1), name="commission_accelerator_gte_1"
            ),
        ]

    def __str__(self):
        return self.name

    def terms(self) -> commission.Plan:
        """The plan as plain data for commission.commission (reads the bands: prefetch them)."""
        return commission.Plan(
            bands=tuple(
                commission.Band(b.from_percent, b.rate)
                for b in sorted(self.bands.all(), key=lambda b: b.from_percent)
            ),
            mode=self.mode,
            accelerator=self.accelerator,
            cap_amount=self.cap_amount,
            cap_percent=self.cap_percent,
        )


class CommissionBand(models.Model):
    """From `from_percent` attainment on, `rate` % of the actual (see the plan's mode)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="bands")
    from_percent = models.DecimalField(_("from attainment (%)"), max_digits=6, decimal_places=1)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("commission band")
        verbose_name_plural = _("commission bands")
        ordering = ["plan", "from_percent"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "from_percent"], name="commission_band_once"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="commission_rate_0_100"
            ),
        ]

    def __str__(self):
        return f"≥ {self.from_percent}%: {self.rate}%"
