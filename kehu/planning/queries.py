"""Read side of the annual plan: which plans a person sees, and each plan's progress with its
actuals computed live from the data (kehu.sales.lifecycle)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.sales import lifecycle
from kehu.sales.queries import monthly_new_customers, monthly_revenue

from .models import AnnualPlan

CENT = Decimal("0.01")


def visible_plans(actor, year: int):
    """Directors and unteamed viewers: every plan. Others: the company's, their own team
    subtree's (managers, team viewers) or their own team's and their own (reps)."""
    plans = AnnualPlan.objects.filter(year=year).select_related("team", "user")
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return plans
    company = Q(team__isnull=True, user__isnull=True)
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        subtree = access.team_subtree_ids(actor.team)
        return plans.filter(
            company | Q(team_id__in=subtree) | Q(user__team_id__in=subtree) | Q(user=actor)
        )
    mine = company | Q(user=actor)
    if actor.team_id:  # Q(team_id=None) would be every person's (team-less) row
        mine |= Q(team_id=actor.team_id)
    return plans.filter(mine)


def get_plan(actor, pk) -> AnnualPlan:
    plan = AnnualPlan.objects.filter(pk=pk).select_related("team", "user").first()
    if plan is None or not visible_plans(actor, plan.year).filter(pk=pk).exists():
        raise Http404
    return plan


def scope_of(plan: AnnualPlan) -> lifecycle.Scope:
    return lifecycle.Scope(team=plan.team, user=plan.user)


@dataclass
class Progress:
    key: str
    label: str
    target: object
    actual: object
    definition: str
    unit: str
    lower_is_better: bool = False
    expected: object = None  # where a count or an amount should be by today, pro rata
    pro_rata: bool = False  # measured against the share of the year elapsed

    @property
    def percent(self) -> int | None:
        """How far along the target the actual is (capped at 100 for the bar)."""
        if self.actual is None or not self.target:
            return None
        if self.lower_is_better:
            return 100 if self.actual <= self.target else int(self.target * 100 / self.actual)
        return min(int(Decimal(self.actual) * 100 / Decimal(self.target)), 100)

    @property
    def on_track(self) -> bool | None:
        if self.actual is None or not self.target:
            return None
        if self.lower_is_better:
            return self.actual <= self.target
        if self.expected is not None:
            return Decimal(self.actual) >= Decimal(self.expected)
        return Decimal(self.actual) >= Decimal(self.target)


def elapsed_share(year: int, today: date) -> Decimal:
    start, end = date(year, 1, 1), date(year, 12, 31)
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    return Decimal((today - start).days + 1) / Decimal((end - start).days + 1)


def progress(plan: AnnualPlan, today: date | None = None) -> list[Progress]:
    today = today or timezone.localdate()
    start = date(plan.year, 1, 1)
    end = max(start, min(date(plan.year, 12, 31), today))  # so far: nothing dated ahead
    figures = {f.key: f for f in lifecycle.figures(scope_of(plan), start, end, today)}
    share = elapsed_share(plan.year, today)

    def row(key, target, *, lower=False, pro_rata=False):
        f = figures[key]
        expected = None
        if pro_rata and target:
            expected = (Decimal(target) * share).quantize(Decimal("0.01"))
        return Progress(
            key, f.label, target, f.value, f.definition, f.unit, lower, expected, pro_rata
        )

    return [
        row("new_customers", plan.new_customers, pro_rata=True),
        row("revenue", plan.revenue, pro_rata=True),
        row("repurchase_rate", plan.repurchase_rate),
        row("churn_rate", plan.churn_rate, lower=True),
        row("csat", plan.satisfaction),
    ]


@dataclass(frozen=True)
class Month:
    """One month of the plan's year as the chart draws it (and the sheet lists it)."""

    month: int
    revenue: Decimal
    cumulative: Decimal
    target: Decimal | None  # the revenue target's straight line, cumulative; None: no target
    new_customers: int


def monthly(plan: AnnualPlan) -> list[Month]:
    """Revenue and new customers per month of the plan's year, with the cumulative revenue
    and the target's straight line (the target × month / 12)."""
    revenue = monthly_revenue(scope_of(plan).where("o"), plan.year)
    new = monthly_new_customers(scope_of(plan).where("c"), plan.year)
    running, months = Decimal(0), []
    for m, (amount, count) in enumerate(zip(revenue, new, strict=True), start=1):
        running += amount
        target = (plan.revenue * m / 12).quantize(CENT) if plan.revenue else None
        months.append(Month(m, amount, running, target, count))
    return months


def monthly_chart(plan: AnnualPlan, months: list[Month] | None = None) -> dict:
    """ECharts option: revenue and new customers per month, with the cumulative revenue against
    the target's straight line."""
    months = monthly(plan) if months is None else months
    revenue = [float(m.revenue) for m in months]
    cumulative = [float(m.cumulative) for m in months]
    new = [m.new_customers for m in months]
    labels = [f"{m.month}" for m in months]
    target_line = [float(m.target) for m in months] if plan.revenue else []
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"left": 60, "right": 50, "bottom": 30},
        "xAxis": {"type": "category", "data": labels, "name": _("month")},
        "yAxis": [
            {"type": "value", "name": _("revenue (CNY)")},
            {"type": "value", "name": _("new customers")},
        ],
        "series": [
            {
                "id": "revenue",
                "name": _("revenue"),
                "type": "bar",
                "data": revenue,
            },
            {
                "id": "cumulative",
                "name": _("cumulative revenue"),
                "type": "line",
                "data": cumulative,
            },
            *(
                [
                    {
                        "id": "target",
                        "name": _("target pace"),
                        "type": "line",
                        "data": target_line,
                        "lineStyle": {"type": "dashed"},
                    }
                ]
                if target_line
                else []
            ),
            {
                "id": "new_customers",
                "name": _("new customers"),
                "type": "line",
                "yAxisIndex": 1,
                "data": new,
            },
        ],
    }
