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
    services.recompute_history([deal.pk])
    deal.refresh_from_db()
    if deal.closed_at:
        closing = StageChange.objects.filter(deal=deal).order_by("-at", "-pk").first()
        Deal.objects.filter(pk=deal.pk).update(closed_at=closing.at)


def generate_at_scale(count: int, seed: int = 2026, progress=None) -> int:
    """`count` deals on random owned customers with their stage history, written set-based
    (the benchmark's 300,000 deals): each deal walks the open stages some way, a share are won
    or lost, every move is a StageChange row spread over the last half year."""
    import numpy as np
    from django.db import connection, transaction

    from kehu.core import bulk

    services.ensure_default_stages()
    rng = np.random.default_rng(seed)
    stages = list(Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("position"))
    won = Stage.objects.get(kind=Stage.Kind.WON)
    lost = Stage.objects.get(kind=Stage.Kind.LOST)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, owner_id, team_id, channel_id FROM customers_customer "
            "WHERE owner_id IS NOT NULL ORDER BY id"
        )
        customers = cursor.fetchall()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM pipeline_deal")
        first_id = cursor.fetchone()[0] + 1
    adapt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    picks = rng.integers(0, len(customers), count)
    steps = rng.integers(0, len(stages), count)
    ends = rng.random(count)
    starts = rng.integers(20, 180, count)
    gaps = rng.integers(1, 20, (count, len(stages) + 1))
    amounts = rng.integers(2, 300, count) * 5000
    deal_rows, change_rows = [], []
    for i in range(count):
        cid, owner, team, channel = customers[picks[i]]
        path = stages[: steps[i] + 1]
        outcome = won if steps[i] >= 3 and ends[i] < 0.4 else lost if ends[i] > 0.85 else None
        if outcome is not None:
            path = [*path, outcome]
        at = now - timedelta(days=int(starts[i]))
        times = []
        for k in range(len(path)):
            times.append(min(at, now))
            at = at + timedelta(days=int(gaps[i, k]))
        final = path[-1]
        deal_id = first_id + i
        deal_rows.append(
            (
                deal_id,
                int(cid),
                TITLES[i % len(TITLES)],
                int(amounts[i]),
                final.pk,
                final.probability,
                False,
                owner,
                team,
                channel,
                "",
                "",
                LOST[i % len(LOST)] if final == lost else "",
                max(s.position for s in path if s.kind != Stage.Kind.LOST),
                adapt(times[0]),
                adapt(times[-1]),
                adapt(times[-1]) if outcome else None,
                1,
            )
        )
        previous = None
        for k, (stage, when) in enumerate(zip(path, times, strict=True)):
            stay = (times[k + 1] - when).total_seconds() / 86400 if k + 1 < len(times) else None
            change_rows.append((deal_id, previous, stage.pk, adapt(when), owner, stay))
            previous = stage.pk
        if len(deal_rows) >= 20_000 or i == count - 1:
            with transaction.atomic():
                bulk.insert_rows(
                    Deal._meta.db_table,
                    [
                        "id",
                        "customer_id",
                        "title",
                        "amount",
                        "stage_id",
                        "probability",
                        "probability_manual",
                        "owner_id",
                        "team_id",
                        "channel_id",
                        "products",
                        "competitor",
                        "lost_reason",
                        "furthest",
                        "created_at",
                        "updated_at",
                        "closed_at",
                        "version",
                    ],
                    deal_rows,
                )
                bulk.insert_rows(
                    StageChange._meta.db_table,
                    ["deal_id", "from_stage_id", "to_stage_id", "at", "by_id", "days"],
                    change_rows,
                )
            if progress:
                progress(i + 1)
            deal_rows, change_rows = [], []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('pipeline_deal', 'id'), "
                "(SELECT MAX(id) FROM pipeline_deal))"
            )
    return count
