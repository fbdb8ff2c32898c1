"""Demo deals: about one customer in three has a deal that has moved along the stages (each
move recorded), some won, some lost with a reason. Through the services for a small demo."""

import random
from datetime import timedelta

from django.utils import timezone

from kehu.customers.models import Customer
from kehu.pipeline import services
from kehu.pipeline.models import Deal, Stage, StageChange

TITLES = [
    "ERP 升级",
    "仓储系统采购",
    "年度框架协议",
    "设备更新",
    "培训服务",
    "云服务续费",
    "新产线配套",
]
LOST = ["价格高于竞品", "预算取消", "选择了竞品", "需求变更，项目暂停"]


def generate(seed: int = 2026, limit: int = 2000) -> int:
    services.ensure_default_stages()
    rng = random.Random(seed)
    stages = list(Stage.objects.filter(kind=Stage.Kind.OPEN))
    won = Stage.objects.get(kind=Stage.Kind.WON)
    lost = Stage.objects.get(kind=Stage.Kind.LOST)
    made = 0
    customers = Customer.objects.filter(owner__isnull=False, pooled_at__isnull=True).select_related(
        "owner"
    )
    for customer in customers.order_by("pk")[: limit * 3]:
        if rng.random() > 0.33:
            continue
        deal = services.create_deal(
            customer.owner,
            customer,
            {
                "title": rng.choice(TITLES),
                "amount": str(rng.randrange(2, 300) * 5000),
                "channel": customer.channel,
                "products": "",
            },
        )
        steps = rng.randrange(0, len(stages))
        for stage in stages[1 : steps + 1]:
            services.move_stage(customer.owner, deal, stage)
        end = rng.random()
        if steps >= 3 and end < 0.4:
            services.move_stage(customer.owner, deal, won)
        elif end > 0.85:
            services.move_stage(customer.owner, deal, lost, lost_reason=rng.choice(LOST))
        _backdate(rng, deal)
        made += 1
    return made


def _backdate(rng, deal) -> None:
    """Spreads the deal's history over the last half year, so cycle times mean something."""
    now = timezone.now()
    at = now - timedelta(days=rng.randrange(20, 180), hours=rng.randrange(24))
    Deal.objects.filter(pk=deal.pk).update(created_at=at)
    last = at
    for change in StageChange.objects.filter(deal=deal).order_by("at", "pk"):
        StageChange.objects.filter(pk=change.pk).update(at=min(last, now))
        last = min(last + timedelta(days=rng.randrange(2, 21), hours=rng.randrange(24)), now)
    deal.refresh_from_db()
    if deal.closed_at:
        closing = StageChange.objects.filter(deal=deal).order_by("-at", "-pk").first()
        Deal.objects.filter(pk=deal.pk).update(closed_at=closing.at)
