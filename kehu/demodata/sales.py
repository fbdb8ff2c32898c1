"""Demo purchases (kehu.sales): a catalogue of B2B products, orders with lines and collections,
satisfaction answers and complaints.

Each customer who buys follows a profile: steady buyers keep their rhythm; lapsing ones have let
an order slip past it (the churn warnings' "falling frequency"); some stopped a year or more ago
(churned), and a few came back after a long pause. Profiles colour what they answer in surveys
and how often they complain. Customers marked 成交 (customer) buy, and so did those marked
流失 (churned), up to a year or more ago.

Rows are written set-based (kehu.core.bulk.insert_rows: SQLite executemany, PostgreSQL COPY) in
batches of about 10,000 customers, never through the per-order services; then the customers'
purchase totals and the cross-sell table are rebuilt once (services.rebuild_totals,
services.rebuild_pairs) and each customer's satisfaction becomes its latest CSAT answer in one
UPDATE. At scale the order tables' secondary indexes (and PostgreSQL's foreign keys) are dropped
for the load and rebuilt from their saved definitions at the end.
"""

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from kehu.core import bulk
from kehu.customers.models import Contact, Customer
from kehu.sales import services
from kehu.sales.models import (
    Feedback,
    Order,
    OrderLine,
    Product,
    ProductCategory,
    SurveyAnswer,
)

# category → products: name, code, list price and unit cost (CNY), usual quantity range
CATALOGUE = {
    "软件许可": [
        ("客户管理系统 标准版（年订阅）", "SW-CRM-S", 12800, 1900, 1, 5),
        ("ERP 企业版许可", "SW-ERP-E", 98000, 12000, 1, 2),
        ("财务软件 专业版", "SW-FIN-P", 26800, 3500, 1, 3),
        ("协同办公平台（50 用户）", "SW-OA-50", 36000, 5200, 1, 4),
        ("数据分析平台许可", "SW-BI", 58000, 8000, 1, 2),
        ("仓储管理系统 WMS", "SW-WMS", 68000, 9500, 1, 2),
    ],
    "云服务": [
        ("云服务器 4核8G（年）", "CL-ECS-48", 4800, 2900, 1, 20),
        ("对象存储 10TB（年）", "CL-OSS-10", 9600, 5400, 1, 6),
        ("云数据库 高可用版（年）", "CL-RDS-HA", 15600, 8800, 1, 4),
        ("CDN 流量包 50TB", "CL-CDN-50", 6000, 3800, 1, 10),
        ("企业邮箱（100 用户/年）", "CL-MAIL", 8000, 3000, 1, 3),
    ],
    "实施服务": [
        ("系统实施（人天）", "SV-IMP-D", 2500, 1200, 5, 60),
        ("数据迁移服务", "SV-MIG", 30000, 14000, 1, 1),
        ("定制开发（人天）", "SV-DEV-D", 3000, 1500, 5, 80),
        ("系统集成服务", "SV-INT", 80000, 42000, 1, 1),
    ],
    "运维服务": [
        ("年度运维服务", "OM-YEAR", 36000, 15000, 1, 1),
        ("驻场运维（人月）", "OM-ONSITE", 22000, 14000, 1, 12),
        ("7×24 技术支持（年）", "OM-247", 18000, 6000, 1, 1),
        ("设备维保（年）", "OM-MAINT", 12000, 5000, 1, 5),
        ("安全巡检服务", "OM-SEC", 8000, 3200, 1, 4),
    ],
    "培训咨询": [
        ("管理咨询服务", "CS-MGMT", 50000, 22000, 1, 1),
        ("产品培训（场）", "CS-TRAIN", 6000, 2000, 1, 6),
        ("数字化转型咨询", "CS-DX", 120000, 55000, 1, 1),
        ("认证培训（人）", "CS-CERT", 3800, 1400, 2, 30),
    ],
    "硬件设备": [
        ("机架式服务器 2U 双路", "HW-SRV-2U", 45000, 36000, 1, 8),
        ("工业交换机 24 口", "HW-SW-24", 8600, 6100, 1, 20),
        ("门店收银一体机", "HW-POS", 4200, 3000, 1, 30),
        ("手持 PDA 扫码终端", "HW-PDA", 2900, 2000, 2, 50),
        ("储能电池柜 100kWh", "HW-ESS-100", 180000, 142000, 1, 4),
        ("智能检测仪", "HW-TEST", 26000, 17500, 1, 6),
    ],
    "耗材配件": [
        ("热敏打印纸（箱）", "CM-PAPER", 260, 150, 10, 300),
        ("硒鼓（支）", "CM-TONER", 480, 290, 5, 100),
        ("条码标签纸（卷）", "CM-LABEL", 35, 18, 50, 1000),
        ("检测试剂盒（盒）", "CM-KIT", 1200, 640, 10, 200),
        ("过滤滤芯（套）", "CM-FILTER", 680, 380, 5, 120),
        ("备用电源模块", "CM-PSU", 1600, 1050, 2, 40),
    ],
    "数据服务": [
        ("工商数据查询包", "DS-BIZ", 20000, 6000, 1, 3),
        ("短信通知包（10 万条）", "DS-SMS", 4000, 2600, 1, 20),
        ("电子合同（1000 份）", "DS-ESIGN", 5000, 1800, 1, 10),
        ("数据安全审计", "DS-AUDIT", 40000, 18000, 1, 2),
    ],
}
# what a customer tends to buy together: a software house, a cloud user, an equipment buyer
GROUPS = [
    (["软件许可", "实施服务", "培训咨询", "运维服务"], 40),
    (["云服务", "数据服务", "运维服务", "软件许可"], 30),
    (["硬件设备", "耗材配件", "运维服务"], 30),
]
PROFILES = [("steady", 62), ("lapsing", 16), ("stopped", 12), ("back", 10)]

COMMENTS = {
    "csat": {
        5: ["服务很满意，响应及时", "交付顺利，团队专业", "非常满意"],
        4: ["整体不错，响应可以更快", "产品稳定，价格略高"],
        3: ["一般，交付有延迟", "功能够用，培训不足"],
        2: ["问题处理不及时", "售后多次催促才解决"],
        1: ["非常不满意，考虑更换供应商", "质量问题反复出现"],
    },
    "nps": {
        "promoter": ["愿意推荐给同行", "已介绍两家合作伙伴"],
        "passive": ["还可以，看后续服务", ""],
        "detractor": ["不会推荐，售后太慢", "价格没有竞争力"],
    },
}
FEEDBACK = {
    "quality": [
        ("设备运行不稳定，频繁报警", "更换主板并远程监控两周，未再复现"),
        ("软件升级后部分报表报错", "发布补丁版本，协助客户完成升级"),
        ("批次耗材质量不达标", "整批退换，并补发一箱作为补偿"),
        ("检测结果偏差较大", "上门重新校准设备，提供校准报告"),
    ],
    "delivery": [
        ("到货延迟一周，影响产线", "协调就近仓库加急发货，后续订单优先排产"),
        ("发货数量与订单不符", "补发缺少的货品，核对出库流程"),
        ("实施进度落后于计划", "增派两名实施顾问，调整里程碑计划"),
        ("包装破损，部分配件缺失", "补发配件，要求物流加固包装"),
    ],
    "service": [
        ("售后响应慢，工单两天无人处理", "指定专属客服，承诺 4 小时内响应"),
        ("实施顾问频繁更换", "固定项目经理，交接文档补齐"),
        ("客服态度不耐烦", "向客户致歉，对客服进行服务培训"),
        ("驻场工程师技术不熟练", "更换高级工程师驻场"),
    ],
    "price": [
        ("续费价格涨幅过大", "按老客户政策给予续费折扣"),
        ("同类产品报价高于竞品", "提供价值对比说明，调整年度框架报价"),
        ("希望年度框架给予更多折扣", "签订三年框架协议，给予阶梯折扣"),
    ],
    "billing": [
        ("发票抬头开错，需重开", "作废重开发票并快递寄出"),
        ("对账单金额与合同不一致", "财务重新对账，出具更正后的对账单"),
        ("回款后未及时开具发票", "三个工作日内补开发票"),
    ],
    "other": [
        ("希望增加移动端审批功能", "已列入下个版本的需求计划"),
        ("建议提供季度业务回顾", "每季度安排客户成功经理上门回顾"),
        ("培训课程安排时间不合适", "改为周末线上培训并提供录播"),
    ],
}
PRAISE = [
    ("实施团队专业高效，按期上线", "已转达团队，感谢客户认可"),
    ("售后工程师连夜排障，非常感谢", "已转达团队，感谢客户认可"),
    ("培训内容实用，员工反馈很好", "已转达讲师，感谢客户认可"),
]

ORDER_COLUMNS = [
    "id",
    "customer_id",
    "number",
    "order_date",
    "owner_id",
    "team_id",
    "deal_id",
    "amount",
    "cost",
    "margin",
    "collection",
    "collected_amount",
    "collected_on",
    "notes",
    "created_at",
    "updated_at",
    "created_by_id",
    "version",
]
LINE_COLUMNS = ["order_id", "product_id", "description", "quantity", "unit_price", "amount", "cost"]
ANSWER_COLUMNS = [
    "customer_id",
    "kind",
    "score",
    "comment",
    "answered_on",
    "recorded_by_id",
    "created_at",
]
FEEDBACK_COLUMNS = [
    "customer_id",
    "kind",
    "category",
    "severity",
    "summary",
    "details",
    "owner_id",
    "status",
    "resolution",
    "opened_at",
    "resolved_at",
    "created_by_id",
    "version",
]
CHUNK = 10_000  # customers read and written per batch (about 50,000 order lines at scale)
BULK = 100_000  # from this many order lines on, indexes are dropped for the load


def ensure_catalogue() -> list[tuple]:
    """The demo categories and products (kept if they exist). Returns the products as
    (id, category, list price in cents, unit cost in cents, smallest and largest quantity)."""
    categories = {}
    for name in CATALOGUE:
        categories[name], _created = ProductCategory.objects.get_or_create(name=name)
    out = []
    for category, products in CATALOGUE.items():
        for name, code, price, cost, low, high in products:
            product, _created = Product.objects.get_or_create(
                name=name,
                defaults={
                    "code": code,
                    "category": categories[category],
                    "unit_price": price,
                    "unit_cost": cost,
                },
            )
            out.append(
                (
                    product.pk,
                    category,
                    int(product.unit_price * 100),
                    int(product.unit_cost * 100),
                    low,
                    high,
                )
            )
    return out


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _cumulative(pairs):
    values, weights, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        weights.append(total)
    return values, weights


@dataclass
class _Plan:
    """How the generator shapes one load: the horizon, how many orders and lines a buyer
    has, and the chances of a survey answer and of a complaint."""

    horizon: int  # days back the orders go
    orders_per_buyer: float  # mean
    max_orders: int
    max_lines: int  # lines per order: 1 … max_lines, evenly
    answer_chance: float  # of a buyer answering surveys (1–answers_max answers)
    answers_max: int
    feedback_chance: float  # of a buyer having one feedback item
    products: list = field(default_factory=list)
    today: object = None
    tz: str = ""
    now: datetime | None = None
    days: list = field(default_factory=list)  # ISO date of k days ago

    def setup(self):
        self.today = timezone.localdate()
        self.tz = "+00:00" if connection.vendor == "postgresql" else ""
        self.now = timezone.now().astimezone(UTC).replace(tzinfo=None, microsecond=0)
        self.days = [
            (self.today - timedelta(days=k)).isoformat() for k in range(self.horizon + 1200)
        ]
        by_category: dict[str, list] = {}
        for product in self.products:
            by_category.setdefault(product[1], []).append(product)
        self.groups = _cumulative(
            [([p for c in cats for p in by_category.get(c, [])], w) for cats, w in GROUPS]
        )
        self.profiles = _cumulative(PROFILES)


def _order_count(rng, plan: _Plan) -> int:
    """Orders of one buyer: a long tail (a few buy every month for years), the mean as asked."""
    if plan.max_orders <= 12:
        return min(plan.max_orders, 1 + int(rng.expovariate(1 / (plan.orders_per_buyer - 0.5))))
    # lognormal(0, 1) has mean e^0.5; int() takes about 0.5 off
    raw = rng.lognormvariate(0.0, 1.0) * (plan.orders_per_buyer - 0.5) / 1.6487
    return min(plan.max_orders, 1 + int(raw))


def _days_ago(rng, profile: str, n: int, horizon: int) -> list[int]:
    """The buyer's order dates as days before today, newest first."""
    uniform = rng.uniform
    offsets: list[int] = []
    if profile == "back" and n >= 2:  # came back after a long pause
        recent = 1 if n < 4 or rng.random() < 0.6 else 2
        day = uniform(0, 60)
        for _ in range(recent):
            offsets.append(int(day))
            day += uniform(20, 80)
        day += uniform(400, 700)
        n -= recent
        if day >= horizon - 30:
            day = horizon - 30
    elif profile == "stopped":  # nothing for a year or more
        day = uniform(380, max(390, min(900, horizon * 0.7)))
    elif profile == "lapsing" and n >= 2:  # past its own rhythm, within the year
        gap = min(uniform(25, 180), max(5.0, (horizon - 350) / n))
        day = uniform(1.6 * gap, min(1.6 * gap + 120, 350))
        for _ in range(n):
            offsets.append(int(day))
            day += gap * uniform(0.85, 1.15)
            if day > horizon:
                break
        return offsets
    else:  # steady
        day = None
    span = horizon - (day or 0)
    gap = max(5.0, span * uniform(0.35, 1.0) / max(n, 1))
    if day is None:
        day = uniform(0, min(gap, 300))
    for _ in range(n):
        offsets.append(int(day))
        day += gap * uniform(0.6, 1.4)
        if day > horizon:
            break
    return offsets


def _score(rng, kind: str, happy: bool) -> int:
    r = rng.random()
    if kind == "csat":
        cut = (0.02, 0.06, 0.2, 0.6) if happy else (0.15, 0.4, 0.7, 0.9)
        return 1 + sum(r > c for c in cut)
    if happy:
        return 10 if r < 0.3 else 9 if r < 0.55 else 8 if r < 0.75 else rng.randint(4, 7)
    return rng.randint(0, 6) if r < 0.6 else rng.randint(7, 9)


def _comment(rng, kind: str, score: int) -> str:
    if rng.random() > 0.4:
        return ""
    if kind == "csat":
        return rng.choice(COMMENTS["csat"][score])
    group = "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"
    return rng.choice(COMMENTS["nps"][group])


def _stamp(plan: _Plan, days_ago: int, rng) -> str:
    # office hours in China (UTC+8) are 01:00–09:00 UTC
    return f"{plan.days[days_ago]} {rng.randint(1, 9):02d}:{rng.randrange(60):02d}:00{plan.tz}"


def _batch(rng, plan: _Plan, customers) -> tuple[list, list, list, list]:
    """Rows of orders, lines, survey answers and feedback for `customers` — (id, owner, team,
    status) tuples — of whom those marked customer or churned buy."""
    randint, random_, choice, sample = rng.randint, rng.random, rng.choice, rng.sample
    buyers = []
    for cid, owner, team, status in customers:
        if status == Customer.Status.CHURNED:
            profile = "stopped"
        elif status == Customer.Status.CUSTOMER:
            profile = rng.choices(plan.profiles[0], cum_weights=plan.profiles[1])[0]
        else:
            continue
        offsets = _days_ago(rng, profile, _order_count(rng, plan), plan.horizon)
        buyers.append((cid, owner, team, profile, offsets))
    ids = iter(bulk.reserve_ids(Order._meta.db_table, sum(len(b[4]) for b in buyers)))
    orders, lines, answers, feedback = [], [], [], []
    for cid, owner, team, profile, offsets in buyers:
        group = rng.choices(plan.groups[0], cum_weights=plan.groups[1])[0]
        basket = sample(group, min(len(group), randint(plan.max_lines, plan.max_lines + 4)))
        basket += sample(plan.products, 2)
        for ago in offsets:
            oid = next(ids)
            discount = choice((100, 100, 100, 100, 95, 90, 88, 85))
            amount = cost = 0
            picked = sample(basket, min(len(basket), randint(1, plan.max_lines)))
            if len({p[0] for p in picked}) < len(picked):  # the extras repeat a basket product
                picked = list({p[0]: p for p in picked}.values())
            for pid, _category, price, unit_cost, low, high in picked:
                quantity = randint(low, high)
                price = price * discount // 10000 * 100  # to the yuan
                line, line_cost = quantity * price, quantity * unit_cost
                amount += line
                cost += line_cost
                lines.append(
                    (oid, pid, "", str(quantity), _money(price), _money(line), _money(line_cost))
                )
            r = random_()
            if ago > 120:
                status = "paid" if r < 0.96 else "partial"
            elif ago > 30:
                status = "paid" if r < 0.75 else "partial" if r < 0.9 else "unpaid"
            else:
                status = "paid" if r < 0.35 else "partial" if r < 0.6 else "unpaid"
            if status == "unpaid":
                collected, collected_on = 0, None
            else:
                collected = amount if status == "paid" else amount * randint(30, 80) // 100
                if collected in (0, amount) and status == "partial":
                    status, collected = "paid", amount
                collected_on = plan.days[max(0, ago - randint(5, 60))]
            created = _stamp(plan, ago, rng)
            day = plan.days[ago]
            orders.append(
                (
                    oid,
                    cid,
                    f"HT{day[:4]}{oid:08d}",
                    day,
                    owner,
                    team,
                    None,
                    _money(amount),
                    _money(cost),
                    _money(amount - cost),
                    status,
                    _money(collected),
                    collected_on,
                    "",
                    created,
                    created,
                    owner,
                    1,
                )
            )
        happy = profile in ("steady", "back")
        first = max(offsets)
        if random_() < plan.answer_chance:
            for _ in range(randint(1, plan.answers_max)):
                kind = "csat" if random_() < 0.65 else "nps"
                score = _score(rng, kind, happy)
                ago = randint(0, min(first, 730))
                answers.append(
                    (
                        cid,
                        kind,
                        score,
                        _comment(rng, kind, score),
                        plan.days[ago],
                        owner,
                        _stamp(plan, ago, rng),
                    )
                )
        if random_() < plan.feedback_chance * (1 if happy else 2.5):
            feedback.append(_feedback(rng, plan, cid, owner, happy, first))
    return orders, lines, answers, feedback


def _feedback(rng, plan: _Plan, cid, owner, happy: bool, first: int) -> tuple:
    r = rng.random()
    kind = "praise" if happy and r < 0.15 else "feedback" if r < 0.35 else "complaint"
    if kind == "praise":
        category, (summary, resolution) = "service", rng.choice(PRAISE)
        severity = 1
    else:
        category = "other" if kind == "feedback" else rng.choice(list(FEEDBACK)[:5])
        summary, resolution = rng.choice(FEEDBACK[category])
        severity = rng.choices([1, 2, 3, 4], [2, 5, 3, 1])[0] if kind == "complaint" else 1
    ago = int(min(first, 540) * rng.random() ** 1.5)  # more of them lately
    opened = datetime.fromisoformat(plan.days[ago]) + timedelta(
        hours=rng.randint(1, 9), minutes=rng.randrange(60)
    )
    r = rng.random()
    if kind == "praise":
        status = "closed"
    elif ago > 90:
        status = "closed" if r < 0.3 else "resolved" if r < 0.95 else "in_progress"
    elif ago > 14:
        status = "resolved" if r < 0.5 else "in_progress" if r < 0.75 else "open"
    else:
        status = "resolved" if r < 0.15 else "in_progress" if r < 0.45 else "open"
    resolved = None
    if status in ("resolved", "closed"):
        hours = 2 + rng.expovariate(1 / (24 * (2 + severity)))
        resolved = min(opened + timedelta(hours=hours), plan.now)
    return (
        cid,
        kind,
        category,
        severity,
        summary,
        "客户来电反映：" + summary if kind == "complaint" else "",
        owner,
        status,
        resolution if resolved else "",
        f"{opened}{plan.tz}",
        f"{resolved}{plan.tz}" if resolved else None,
        owner,
        1,
    )


def _write(batch) -> None:
    orders, lines, answers, feedback = batch
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in (
            (Order._meta.db_table, ORDER_COLUMNS, orders),
            (OrderLine._meta.db_table, LINE_COLUMNS, lines),
            (SurveyAnswer._meta.db_table, ANSWER_COLUMNS, answers),
            (Feedback._meta.db_table, FEEDBACK_COLUMNS, feedback),
        ):
            if rows:
                bulk.insert_rows(table, columns, rows, cursor=cursor)


def _finish(first_answer: int, timings: dict) -> dict:
    """Totals and cross-sell from the orders; the new answers' contact (the customer's primary
    one) in one UPDATE, and each answering customer's satisfaction (its latest CSAT) in one
    UPDATE … FROM."""
    answers = SurveyAnswer._meta.db_table
    contacts = Contact._meta.db_table
    clock = time.monotonic()
    with_orders = services.rebuild_totals()
    timings["totals"] = time.monotonic() - clock
    clock = time.monotonic()
    pairs = services.rebuild_pairs()
    timings["pairs"] = time.monotonic() - clock
    clock = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {answers} SET contact_id = (SELECT c.id FROM {contacts} c "
            f"WHERE c.customer_id = {answers}.customer_id ORDER BY c.is_primary DESC, c.id "
            "LIMIT 1) WHERE id >= %s AND contact_id IS NULL",
            [first_answer],
        )
        # the latest CSAT of each customer who answered now, by a window over their answers (a
        # correlated "ORDER BY answered_on DESC LIMIT 1" per customer let SQLite walk the
        # (kind, answered_on) index for each: minutes at 100,000 customers)
        cursor.execute(
            "SELECT customer_id, score FROM (SELECT customer_id, score, ROW_NUMBER() OVER "
            "(PARTITION BY customer_id ORDER BY answered_on DESC, id DESC) AS k "
            f"FROM {answers} WHERE kind = 'csat' AND customer_id IN "
            f"(SELECT customer_id FROM {answers} WHERE id >= %s)) latest WHERE k = 1",
            [first_answer],
        )
        latest = cursor.fetchall()
        bulk.update_from(Customer._meta.db_table, [("satisfaction", "smallint")], latest)
    timings["satisfaction"] = time.monotonic() - clock
    return {"customers": with_orders, "pairs": pairs}


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def generate(seed: int = 2026) -> dict:
    """Purchases, answers and feedback for the small demo's customers that have no orders
    yet: 1–12 orders over the last three years with 1–5 lines, answers from about 40% of the
    customers, about 30 feedback items. Returns counts."""
    rng = random.Random(seed)
    customers = list(
        Customer.objects.filter(orders__isnull=True)
        .order_by("pk")
        .values_list("pk", "owner_id", "team_id", "status")
    )
    buyers = sum(
        1 for c in customers if c[3] in (Customer.Status.CUSTOMER, Customer.Status.CHURNED)
    )
    plan = _Plan(
        horizon=3 * 365,
        orders_per_buyer=3.5,
        max_orders=12,
        max_lines=5,
        answer_chance=min(0.95, 0.4 * len(customers) / max(buyers, 1)),
        answers_max=3,
        feedback_chance=min(1.0, 30 / max(buyers, 1) / 1.6),
        products=ensure_catalogue(),
    )
    plan.setup()
    first_answer = _next_id(SurveyAnswer)
    made = {"orders": 0, "lines": 0, "answers": 0, "feedback": 0}
    for start in range(0, len(customers), CHUNK):
        batch = _batch(rng, plan, customers[start : start + CHUNK])
        _write(batch)
        for key, rows in zip(made, batch, strict=True):
            made[key] += len(rows)
    made.update(_finish(first_answer, {}))
    return made


def generate_at_scale(order_lines: int, seed: int = 2026, progress=None) -> dict:
    """About `order_lines` order lines (4 an order on average) over the customers marked
    customer or churned, over the last five years; survey answers and feedback in proportion
    (200,000 and 50,000 for 5,000,000 lines). Batches of 10,000 customers, so memory stays
    flat; the order tables' indexes are built once at the end. Then the totals, the cross-sell
    table, the customers' satisfaction, and ANALYZE. Returns counts."""
    rng = random.Random(seed)
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        # customers above the last one with orders: a rerun adds to the newest customers only
        cursor.execute(f"SELECT COALESCE(MAX(customer_id), 0) FROM {Order._meta.db_table}")
        after = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE id > %s AND status IN (%s, %s)",
            [after, Customer.Status.CUSTOMER, Customer.Status.CHURNED],
        )
        buyers = max(cursor.fetchone()[0], 1)
    orders_wanted = order_lines / 4
    plan = _Plan(
        horizon=5 * 365,
        orders_per_buyer=max(1.5, orders_wanted / buyers),
        max_orders=250,
        max_lines=7,
        answer_chance=min(1.0, order_lines * 0.04 / buyers / 1.5),
        answers_max=2,
        feedback_chance=min(1.0, order_lines * 0.01 / buyers / 1.6),
        products=ensure_catalogue(),
    )
    plan.setup()
    first_answer = _next_id(SurveyAnswer)
    made = {"orders": 0, "lines": 0, "answers": 0, "feedback": 0}
    timings: dict[str, float] = {}
    reported = 0
    clock = time.monotonic()
    with _lean_sqlite(), _indexes_built_after(order_lines >= BULK):
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, owner_id, team_id, status FROM {table} WHERE id > %s "
                    f"ORDER BY id LIMIT {CHUNK}",
                    [after],
                )
                customers = cursor.fetchall()
            if not customers:
                break
            after = customers[-1][0]
            batch = _batch(rng, plan, customers)
            _write(batch)
            for key, rows in zip(made, batch, strict=True):
                made[key] += len(rows)
            if progress and made["lines"] - reported >= 1_000_000:
                reported = made["lines"] // 1_000_000 * 1_000_000
                progress(made["lines"])
        timings["rows"] = time.monotonic() - clock
        clock = time.monotonic()
    timings["indexes"] = time.monotonic() - clock
    # statistics first: planned as if the order tables were still empty, PostgreSQL joined
    # 5 million order lines to their orders for the cross-sell table in a nested loop (10+ min)
    clock = time.monotonic()
    _analyze(Order, OrderLine, SurveyAnswer, Feedback)
    with _lean_sqlite():
        made.update(_finish(first_answer, timings))
    _analyze(Customer)
    timings["analyze"] = (
        time.monotonic() - clock - sum(timings[k] for k in ("totals", "pairs", "satisfaction"))
    )
    made["seconds"] = timings
    return made


def _analyze(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            name = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":  # statistics, and the visibility map
                cursor.execute(f"VACUUM (ANALYZE) {name}")
            else:
                cursor.execute(f"ANALYZE {name}")


@contextmanager
def _lean_sqlite():
    """SQLite only: for the load, read through the OS cache instead of mapping the file into
    the process, and let sorts and temporary tables (index builds, the cross-sell self-join)
    spill to files, so memory stays flat; the connection's settings come back after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        row = cursor.fetchone()  # none for an in-memory database
        mmap = row[0] if row else 0
        cursor.execute("PRAGMA temp_store")
        temp = cursor.fetchone()[0]
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute("PRAGMA temp_store=FILE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size={int(mmap)}")
            cursor.execute(f"PRAGMA temp_store={int(temp)}")


# --- the big load: indexes built once ---------------------------------------------------------
@contextmanager
def _indexes_built_after(enabled: bool):
    """Drops the secondary indexes of the order and order-line tables (and on PostgreSQL their
    foreign keys) for the load, and recreates them from their saved definitions after it, so
    the schema ends as it began. Primary keys and unique constraints stay."""
    if not enabled:
        yield
        return
    tables = [Order._meta.db_table, OrderLine._meta.db_table]
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND tbl_name IN ({marks}) AND sql IS NOT NULL ORDER BY name",
                tables,
            )
            saved = [("index", name, sql) for name, sql in cursor.fetchall()]
            drops = [f"DROP INDEX {q(name)}" for _kind, name, _sql in saved]
        else:
            cursor.execute(
                "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "UNION ALL SELECT 'index', '', indexrelid::regclass::text, "
                "pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables, tables],
            )
            rows = cursor.fetchall()
            saved = [
                (
                    kind,
                    name,
                    f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} {sql}"
                    if kind == "constraint"
                    else sql,
                )
                for kind, table, name, sql in rows
            ]
            drops = [
                f"ALTER TABLE {table} DROP CONSTRAINT {q(name)}"
                if kind == "constraint"
                else f"DROP INDEX {name}"
                for kind, table, name, _sql in rows
            ]
        with transaction.atomic():
            for sql in drops:
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET maintenance_work_mem = '256MB'")
            # indexes first: the foreign keys are checked with one join each
            for _kind, _name, sql in sorted(saved, key=lambda s: s[0] != "index"):
                with transaction.atomic():
                    cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("RESET maintenance_work_mem")
