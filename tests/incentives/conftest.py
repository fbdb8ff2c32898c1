"""A commission plan and this quarter's sales, worked out by hand in the tests.

Plan 销售提成方案: won amount, quarterly, 0% → 0, 80% → 3%, 100% → 5%, whole.
This quarter (targets on the reps; deals won today):
  张伟 rep (杭州组)   target 100,000, won 90,000   → 90%  → 3% of 90,000   = 2,700.00
  孙丽 rep4 (杭州组)  target  50,000, won 2×10,000 → 40%  → nothing
  陈静 rep3 (上海组)  target 100,000, won 120,000  → 120% → 5% of 120,000  = 6,000.00
  赵磊 rep2 (北京组)  target  50,000, nothing won  → 0
  李经理 manager      no target                    → 0
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.followups.models import FollowUp, Interaction
from kehu.incentives import services
from kehu.pipeline import services as pipeline_services
from kehu.pipeline.models import Stage
from kehu.targets import periods
from kehu.targets.models import Target

TIERED = [
    {"from_percent": "0", "rate": "0"},
    {"from_percent": "80", "rate": "3"},
    {"from_percent": "100", "rate": "5"},
]


def plan_data(**data):
    return {
        "name": "销售提成方案",
        "metric": "won_amount",
        "period": "quarter",
        "mode": "whole",
        "accelerator": "1",
        "team": None,
        "active": True,
        **data,
    }


@pytest.fixture
def quarter():
    return periods.start_of("quarter", timezone.localdate())


@pytest.fixture
def plan(people):
    return services.save_plan(people.director, plan_data(), TIERED)


def set_target(user, amount, start, metric="won_amount", kind="quarter"):
    return Target.objects.create(
        metric=metric, period=kind, start=start, user=user, amount=Decimal(amount)
    )


def win(owner, amount, title="合同", customer=None, people=None):
    pipeline_services.ensure_default_stages()
    customer = customer or people.customer(owner, f"{owner.username}{title}{amount}有限公司")
    stage = Stage.objects.get(kind=Stage.Kind.WON)
    return pipeline_services.create_deal(
        owner, customer, {"title": title, "amount": amount, "stage": stage}
    )


def lose(owner, customer, title="丢单"):
    pipeline_services.ensure_default_stages()
    stage = Stage.objects.get(kind=Stage.Kind.LOST)
    return pipeline_services.create_deal(
        owner, customer, {"title": title, "amount": "5000", "stage": stage, "lost_reason": "价格"}
    )


@pytest.fixture
def quarter_sales(people, quarter):
    """The quarter of the module docstring; returns rep4 (孙丽, 杭州组)."""
    rep4 = account_services.create_user(
        "rep4", "x", name="孙丽", role=User.Role.REP, team=people.hangzhou
    )
    set_target(people.rep, "100000", quarter)
    set_target(rep4, "50000", quarter)
    set_target(people.rep3, "100000", quarter)
    set_target(people.rep2, "50000", quarter)
    win(people.rep, "90000", people=people)
    win(rep4, "10000", "一期", people=people)
    win(rep4, "10000", "二期", people=people)
    win(people.rep3, "120000", people=people)
    return rep4


@pytest.fixture
def activity(people, quarter_sales):
    """Interactions, a lost and an open deal, overdue follow-ups for 杭州组 this quarter.

    张伟: phone ×2, visit ×1; deals 3 created (1 won, 1 lost, 1 open); 2 follow-ups overdue
    孙丽: phone ×1, WeChat ×3; deals 2 created (2 won); none overdue
    """
    rep, rep4 = people.rep, quarter_sales
    customer = people.customer(rep, "杭州西溪茶业")
    now = timezone.now()
    for user, method, n in [(rep, "phone", 2), (rep, "visit", 1), (rep4, "phone", 1)]:
        for _ in range(n):
            Interaction.objects.create(customer=customer, user=user, method=method, content="回访")
    for _ in range(3):
        Interaction.objects.create(customer=customer, user=rep4, method="wechat", content="微信")
    # last year's: outside the period
    Interaction.objects.create(
        customer=customer, user=rep, method="email", content="旧", at=now - timedelta(days=400)
    )
    lose(rep, customer)
    pipeline_services.create_deal(rep, customer, {"title": "在谈", "amount": "8000"})
    yesterday = timezone.localdate() - timedelta(days=1)
    FollowUp.objects.filter(owner__in=[rep, rep4]).delete()
    for status in ("todo", "doing", "done"):
        FollowUp.objects.create(
            customer=customer, owner=rep, due_on=yesterday, method="phone", status=status
        )
    return rep4
