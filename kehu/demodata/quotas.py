"""Demo service quotas (客户配额): support hours a month, a discount ceiling and free samples a
quarter, with allowances per tier, and (in a small demo) this quarter's and last quarter's uses
for a few dozen customers — logged by their owners through the services, so some go over and
wait for the manager, and a director decides the older ones."""

import random
from datetime import timedelta

from django.core.exceptions import ValidationError

from kehu.customers.models import Customer
from kehu.quotas import periods, services
from kehu.quotas.models import Quota, QuotaUsage

QUOTAS = [
    # name, unit, kind, period, over-use, {tier: allowance}
    ("技术支持工时", "小时", "allowance", "month", "approval", {"A": 20, "B": 8, "C": 2}),
    ("折扣上限", "%", "ceiling", "none", "refuse", {"A": 15, "B": 10, "C": 5}),
    ("免费样品", "件", "allowance", "quarter", "approval", {"A": 10, "B": 4, "C": 0}),
]
NOTES = {
    "技术支持工时": ["远程排查故障", "上门安装调试", "系统升级支持", "操作培训", "数据迁移协助"],
    "折扣上限": ["年度框架协议折扣", "批量采购折扣", "续约优惠", "新品试用折扣"],
    "免费样品": ["新品试用样品", "展会样品", "测试样品", "替换样品"],
}


def ensure_quotas(director) -> list[Quota]:
    """The three quotas, unless a quota of that name exists already."""
    made = []
    for name, unit, kind, period, over_use, allowances in QUOTAS:
        quota = Quota.objects.filter(name=name).first()
        if quota is None:
            data = {"name": name, "unit": unit, "kind": kind, "period": period}
            data["over_use"] = over_use
            data.update({f"allowance_{t}": str(a) for t, a in allowances.items()})
            quota = services.save_quota(director, data)
        made.append(quota)
    return made


def generate(director, *, usages: bool = True, customers: int = 40, seed: int = 2026) -> dict:
    """The quotas and their allowances; with `usages`, uses for `customers` tiered customers
    over the last quarter and this one. Returns what was made."""
    quotas = ensure_quotas(director)
    out = {"quotas": len(quotas), "usages": 0, "pending": 0, "refused": 0}
    if not usages or QuotaUsage.objects.exists():
        return out
    rng = random.Random(seed)
    today = periods.company_date()
    first = periods.period_start(periods.period_start(today, "quarter") - timedelta(1), "quarter")
    span = (today - first).days
    chosen = list(
        Customer.objects.filter(tier__in=Customer.TIERS, owner__is_active=True)
        .select_related("owner")
        .order_by("pk")[: customers * 5]
    )
    rng.shuffle(chosen)
    hours, discount, samples = quotas
    for customer in chosen[:customers]:
        uses = []
        for _ in range(rng.randint(2, 6)):
            uses.append((hours, rng.choice([1, 1.5, 2, 3, 4, 6, 8])))
        uses += [
            (discount, rng.choice([3, 5, 8, 10, 12, 15, 18])) for _ in range(rng.randint(0, 2))
        ]
        uses += [(samples, rng.randint(1, 4)) for _ in range(rng.randint(0, 3))]
        for quota, amount in uses:
            day = first + timedelta(days=rng.randint(0, span))
            note = rng.choice(NOTES[quota.name])
            try:
                usage = services.record_usage(
                    customer.owner, customer, quota, str(amount), day, note
                )
            except ValidationError:  # over a ceiling that refuses
                out["refused"] += 1
                continue
            out["usages"] += 1
            out["pending"] += usage.status == QuotaUsage.Status.PENDING
    # the director has decided last quarter's over-uses: most approved, some not
    for usage in QuotaUsage.objects.filter(
        status=QuotaUsage.Status.PENDING, used_on__lt=periods.period_start(today, "quarter")
    ).select_related("customer"):
        services.decide_usage(director, usage, rng.random() < 0.7, "季度复核")
        out["pending"] -= 1
    return out
