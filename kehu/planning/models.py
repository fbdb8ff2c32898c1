"""The annual plan (年度目标): per year, targets for the company, a team or a rep, with the
quarterly review notes kept beside it. Actuals are never stored: they are computed live."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AnnualPlan(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    # neither: the company's plan; a team's; or one person's
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
    new_customers = models.PositiveIntegerField(_("new customers"), default=0)
    revenue = models.DecimalField(_("revenue (CNY)"), max_digits=14, decimal_places=2, default=0)
    repurchase_rate = models.DecimalField(
        _("repurchase rate (%)"), max_digits=5, decimal_places=1, default=0
    )
    churn_rate = models.DecimalField(
        _("churn rate at most (%)"), max_digits=5, decimal_places=1, default=0
    )
    satisfaction = models.DecimalField(
        _("average CSAT (1–5)"), max_digits=3, decimal_places=2, default=0
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        ordering = ["-year", "team", "user"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) | models.Q(user__isnull=True),
                name="annual_plan_one_scope",
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(team__isnull=True, user__isnull=True),
                name="annual_plan_company_once",
            ),
            models.UniqueConstraint(
                fields=["year", "team"],
                condition=models.Q(team__isnull=False),
                name="annual_plan_team_once",
            ),
            models.UniqueConstraint(
                fields=["year", "user"],
                condition=models.Q(user__isnull=False),
                name="annual_plan_user_once",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.user_id:
            return str(self.user)
        if self.team_id:
            return str(self.team)
        return str(_("Whole company"))


class PlanReview(models.Model):
    """A quarterly review note (季度复盘) kept with the plan."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="reviews")
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)]
    )
    note = models.TextField(_("review note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quarterly review")
        verbose_name_plural = _("quarterly reviews")
        ordering = ["quarter", "created_at"]

    def __str__(self):
        return f"{self.plan} Q{self.quarter}"
