from decimal import Decimal

from kehu.demodata import incentives as demo
from kehu.incentives import commission
from kehu.incentives.models import CommissionPlan


def test_demo_plan_is_made_once_through_the_service(people):
    assert demo.generate(people.director) == 1
    assert demo.generate(people.director) == 0
    plan = CommissionPlan.objects.get()
    assert (plan.name, plan.metric, plan.period, plan.mode) == (
        "销售提成方案",
        "won_amount",
        "quarter",
        "whole",
    )
    terms = plan.terms()
    assert (terms.accelerator, terms.cap_amount) == (Decimal("1.20"), Decimal("50000.00"))
    # 120% of 100,000: 5% × 1.2 = 6% of 120,000
    assert commission.commission(Decimal(120000), Decimal(100000), terms).amount == Decimal(
        "7200.00"
    )
