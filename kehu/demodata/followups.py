"""Demo follow-ups: an interaction history that ends at each customer's last contact, the
cadences' plans, some overdue work escalated, and a few customers already in the public pool.

Set-based like the customer generator: interactions are built with NumPy in chunks and written
with executemany (SQLite) or COPY (PostgreSQL); above 100,000 rows the two indexes are dropped
for the load and rebuilt at the end.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from kehu.core import bulk
from kehu.customers.models import Customer
from kehu.followups import pool, services
from kehu.followups.models import FollowUp, Interaction

CONTENT = [
    ("phone", "电话沟通近期采购计划，客户表示下月有补货需求", "需求明确，待报价"),
    ("wechat", "微信发送新品资料与价目表", "客户已读，表示会转给采购"),
    ("visit", "上门拜访，参观客户产线并了解痛点", "对方案感兴趣，希望安排技术交流"),
    ("meeting", "与客户采购负责人面谈合同条款", "对付款周期有异议"),
    ("email", "邮件发送季度产品更新与案例", ""),
    ("video", "视频会议演示系统功能", "希望试用两周"),
    ("phone", "回访上次订单的使用情况", "整体满意，物流偏慢"),
    ("sms", "短信通知双十一优惠活动", ""),
]
CHUNK = 200_000
COLUMNS = [
    "customer_id",
    "user_id",
    "at",
    "method",
    "content",
    "feedback",
    "next_step",
    "created_at",
]


def _chunks(rng, ids, owners, last, per_customer: float):
    """Interaction rows, the newest of each customer at its last contact, the older ones
    3–40 days apart before it."""
    counts = rng.poisson(per_customer, len(ids))
    counts[~np.isnan(last)] = np.maximum(counts[~np.isnan(last)], 1)
    counts[np.isnan(last)] = 0
    now = timezone.now().timestamp()
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(timezone.now())
    for start in range(0, len(ids), CHUNK // max(int(per_customer), 1)):
        stop = start + CHUNK // max(int(per_customer), 1)
        n = counts[start:stop]
        cust = np.repeat(ids[start:stop], n)
        user = np.repeat(owners[start:stop], n)
        newest = np.repeat(last[start:stop], n)
        # position within the customer's history: 0 is the newest
        order = np.arange(len(cust)) - np.repeat(np.cumsum(n) - n, n)
        gaps = rng.integers(3, 40, len(cust)) * 86400.0
        stamps = np.minimum(newest - order * gaps, now)
        kinds = rng.integers(0, len(CONTENT), len(cust))
        yield [
            (
                int(c),
                None if u < 0 else int(u),
                adapt(datetime.fromtimestamp(s, tz=UTC)),
                CONTENT[k][0],
                CONTENT[k][1],
                CONTENT[k][2],
                "",
                created,
            )
            for c, u, s, k in zip(cust, user, stamps, kinds, strict=True)
        ]


def history(per_customer: float = 4.0, seed: int = 2026, progress=None) -> int:
    """The interactions behind each customer's last contact (the customer generator spreads
    the last contacts: mostly recent, a few past the pool rules)."""
    rng = np.random.default_rng(seed)
    epoch = "unixepoch({})" if connection.vendor == "sqlite" else "EXTRACT(EPOCH FROM {})::float8"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, COALESCE(owner_id, -1), {epoch.format('last_contact_at')} "
            f"FROM {connection.ops.quote_name(Customer._meta.db_table)} ORDER BY id"
        )
        rows = np.array(
            [(r[0], r[1], np.nan if r[2] is None else r[2]) for r in cursor.fetchall()],
            dtype=float,
        ).reshape(-1, 3)
    ids, owners, last = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2]
    total = 0
    big = len(ids) * per_customer > 100_000
    with _indexes_rebuilt(big):
        for chunk in _chunks(rng, ids, owners, last, per_customer):
            with transaction.atomic():
                bulk.insert_rows(Interaction._meta.db_table, COLUMNS, chunk)
            total += len(chunk)
            if progress:
                progress(total)
    return total


def plans() -> dict:
    """The cadences' plans (after the tiers), a tenth of them slipped into overdue and
    escalated, and the customers past the pool rules released."""
    services.ensure_default_cadence()
    pool.ensure_default_rules()
    planned = services.plan_all()
    # a tenth of the plan slipped: due a few working days ago, so My day has overdue work
    table = connection.ops.quote_name(FollowUp._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET due_on = %s WHERE status = %s AND id %% 10 = 0",
            [timezone.localdate() - timedelta(days=7), FollowUp.Status.TODO],
        )
    services.sync_next_followup()
    escalated = services.escalate_overdue()
    released = pool.recycle()
    return {
        "planned": planned,
        "escalated": escalated,
        "released": released,
    }


class _indexes_rebuilt:
    """Drops the interaction indexes for a big load and builds them once afterwards."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.indexes = Interaction._meta.indexes

    def __enter__(self):
        if self.enabled:
            with connection.schema_editor() as editor:
                for index in self.indexes:
                    editor.remove_index(Interaction, index)

    def __exit__(self, *exc):
        if self.enabled:
            with connection.schema_editor() as editor:
                for index in self.indexes:
                    editor.add_index(Interaction, index)
        return False
