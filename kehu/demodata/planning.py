"""Demo annual plans (年度目标): this year's targets for the company, each team with customers
and (in a small demo) each rep, set from last year's actuals the way a director would — a bit
more revenue and new customers, a better repurchase rate, a lower churn rate — with the
quarterly review notes of the quarters already over. Through the services."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from kehu.accounts.models import Team, User
from kehu.customers.models import Customer
from kehu.planning import services
from kehu.planning.models import AnnualPlan
from kehu.sales import lifecycle

REVIEWS = {
    1: "一季度：新客开发节奏正常，老客户复购偏慢；二季度重点跟进年度框架续签。",
    2: "二季度：回款情况改善，两家 A 类客户出现流失预警，已安排客户经理上门回访。",
    3: "三季度：满意度回升，投诉集中在交付时效；四季度冲刺全年收入目标。",
    4: "四季度：全年目标基本达成，明年加大新行业拓展。",
}


def _target(value, factor: str, step: int) -> Decimal:
    """value × factor, rounded to a whole `step` (at least one step)."""
    raised = Decimal(value or 0) * Decimal(factor) / step
    return max(raised.quantize(Decimal(1), ROUND_HALF_UP), Decimal(1)) * step


def _targets(scope: lifecycle.Scope, year: int) -> dict:
    last = {
        f.key: f.value
        for f in lifecycle.figures(scope, date(year - 1, 1, 1), date(year - 1, 12, 31))
    }
    repurchase = Decimal(last["repurchase_rate"] or 20) + 3
    churn = Decimal(last["churn_rate"] or 10) - 2
    return {
        "new_customers": int(_target(last["new_customers"], "1.1", 1)),
        "revenue": _target(last["revenue"], "1.15", 10_000),
        "repurchase_rate": min(repurchase, Decimal(100)).quantize(Decimal("0.1")),
        "churn_rate": max(churn, Decimal(0)).quantize(Decimal("0.1")),
        "satisfaction": Decimal("4.20"),
    }


def generate(director: User, *, reps: bool = True) -> int:
    """This year's plans that do not exist yet; returns how many were made."""
    today = timezone.localdate()
    year = today.year
    scopes = [(None, None)]
    teams = Team.objects.filter(
        pk__in=Customer.objects.filter(team__isnull=False).values("team_id")
    ).order_by("path")
    scopes += [(team, None) for team in teams]
    if reps:
        people = User.objects.filter(
            is_active=True, pk__in=Customer.objects.values("owner_id")
        ).order_by("username")
        scopes += [(None, user) for user in people]
    made = 0
    for team, user in scopes:
        if AnnualPlan.objects.filter(year=year, team=team, user=user).exists():
            continue
        scope = lifecycle.Scope(team=team, user=user)
        plan = services.save_plan(director, year, _targets(scope, year), team=team, user=user)
        made += 1
        if team is None and user is None:
            for quarter in range(1, (today.month - 1) // 3 + 1):
                services.add_review(director, plan, quarter, REVIEWS[quarter])
    return made
