"""The demo quotas: the three of the brief with their allowances per tier, and uses logged
through the services that never break the rules (no approved over-use without a decision)."""

from decimal import Decimal

from django.db.models import Sum

from kehu.demodata import quotas as demo_quotas
from kehu.quotas.models import Quota, QuotaAllowance, QuotaUsage


def test_demo_quotas_and_uses_follow_the_allowances(people):
    for i in range(30):
        owner = (people.rep, people.rep2, people.rep3)[i % 3]
        people.customer(owner, f"演示客户{i:03d}有限公司", tier="ABC"[i % 3])
    made = demo_quotas.generate(people.director, customers=20, seed=7)

    assert made["quotas"] == Quota.objects.count() == 3
    matrix = {(a.quota.name, a.tier): a.amount for a in QuotaAllowance.objects.select_related()}
    assert matrix[("技术支持工时", "A")] == 20 and matrix[("免费样品", "C")] == 0
    assert Quota.objects.get(name="折扣上限").over_use == "refuse"
    assert made["usages"] == QuotaUsage.objects.count() > 20
    assert QuotaUsage.objects.values("customer").distinct().count() == 20
    # without a decision, the approved use of a period never passes the allowance
    undecided = (
        QuotaUsage.objects.filter(
            status="approved", decided_by__isnull=True, quota__kind="allowance"
        )
        .values("customer__tier", "quota__name", "customer", "period_start")
        .annotate(used=Sum("amount"))
    )
    for row in undecided:
        assert row["used"] <= matrix.get((row["quota__name"], row["customer__tier"]), Decimal(0))
    ceiling = {t: matrix[("折扣上限", t)] for t in "ABC"}
    for u in QuotaUsage.objects.filter(quota__name="折扣上限").select_related("customer"):
        assert u.amount <= ceiling[u.customer.tier]
    # run again: nothing doubles
    again = demo_quotas.generate(people.director, customers=20, seed=7)
    assert again["usages"] == 0 and Quota.objects.count() == 3


def test_a_big_demo_makes_the_quotas_without_uses(people):
    people.customer(people.rep, "演示客户有限公司", tier="A")
    made = demo_quotas.generate(people.director, usages=False)
    assert made == {"quotas": 3, "usages": 0, "pending": 0, "refused": 0}
    assert not QuotaUsage.objects.exists()
