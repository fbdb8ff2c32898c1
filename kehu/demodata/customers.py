"""Realistic Chinese demo data: teams, the demo people, and customers with contacts and tags.

Small demos go through nothing special; the million-customer run is set-based: rows are built
in batches of 10,000 and written with one executemany per table per batch (ARCHITECTURE.md:
~10x faster than bulk_create), so memory stays flat whatever the size. Names are composed from
parts whose pinyin is computed once, because pypinyin on a million full names alone would take
minutes.
"""

import random
from datetime import timedelta
from decimal import Decimal
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import Team, User
from kehu.core.models import AuditEvent
from kehu.core.text import name_key, pinyin_forms, search_document
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerShare,
    CustomerTag,
    Industry,
    Tag,
)

DEMO_PASSWORD = "kehu-demo-2026"

# username, name, role, team key
PEOPLE = [
    ("admin", "系统管理员", User.Role.ADMIN, None),
    ("director", "王建国", User.Role.DIRECTOR, "sales"),
    ("manager", "李娜", User.Role.MANAGER, "east"),
    ("rep", "张伟", User.Role.REP, "hangzhou"),
    ("rep2", "赵磊", User.Role.REP, "beijing"),
    ("rep3", "陈静", User.Role.REP, "shanghai"),
    ("viewer", "周敏", User.Role.VIEWER, None),
]
TEAMS = [
    ("sales", "销售部", None),
    ("east", "华东大区", "sales"),
    ("hangzhou", "杭州一组", "east"),
    ("shanghai", "上海组", "east"),
    ("north", "华北大区", "sales"),
    ("beijing", "北京组", "north"),
]
TAGS = [
    ("需求急迫", "需求", "danger"),
    ("价格敏感", "需求", "warning"),
    ("决策链复杂", "决策", "info"),
    ("竞品客户", "竞争", "secondary"),
    ("老客户转介绍", "来源", "success"),
    ("高潜力", "价值", "primary"),
]
CHANNELS = [
    "展会",
    "老客户转介绍",
    "官网咨询",
    "电话营销",
    "线上广告",
    "合作伙伴",
    "行业协会",
    "社交媒体",
]
# industry, its words for company names, typical needs, products
INDUSTRIES = [
    (
        "信息技术",
        ["科技", "信息技术", "软件", "网络科技", "数据科技"],
        "系统集成与数据安全",
        "云服务器、软件许可",
    ),
    (
        "制造业",
        ["机械", "精密制造", "智能装备", "电子", "材料"],
        "降低采购成本、稳定交付",
        "原材料、设备维保",
    ),
    (
        "零售",
        ["商贸", "百货", "超市", "电子商务", "贸易"],
        "门店数字化、会员营销",
        "收银系统、营销服务",
    ),
    ("医疗健康", ["医疗器械", "生物科技", "医药", "健康管理"], "合规与质量追溯", "检测设备、耗材"),
    ("教育培训", ["教育科技", "培训", "文化传播"], "招生获客、教学平台", "在线课程平台"),
    ("物流运输", ["物流", "供应链", "运输", "仓储"], "降本增效、路线优化", "运输管理系统"),
    ("金融服务", ["投资管理", "融资租赁", "保险代理"], "风控与客户服务", "风控系统、咨询服务"),
    ("建筑工程", ["建设工程", "建筑装饰", "工程设计"], "项目成本控制", "建材、工程软件"),
    (
        "新能源",
        ["新能源", "光伏科技", "储能科技", "电力"],
        "产能扩张、设备升级",
        "逆变器、储能设备",
    ),
    ("餐饮", ["餐饮管理", "食品", "连锁餐饮"], "食材供应稳定", "食材、厨房设备"),
]
REGIONS = [
    ("浙江", ["杭州", "宁波", "温州", "绍兴"]),
    ("江苏", ["南京", "苏州", "无锡", "常州"]),
    ("上海", ["上海"]),
    ("北京", ["北京"]),
    ("广东", ["广州", "深圳", "东莞", "佛山"]),
    ("山东", ["济南", "青岛", "烟台"]),
    ("四川", ["成都", "绵阳"]),
    ("湖北", ["武汉", "宜昌"]),
    ("福建", ["福州", "厦门", "泉州"]),
    ("河南", ["郑州", "洛阳"]),
]
BRANDS = list(
    "云帆 星辰 华信 宏达 远航 创新 恒通 鼎盛 嘉禾 瑞丰 金桥 新锐 博远 天成 汇通 锦程 腾跃 凯旋 "
    "盛世 中科 同创 优品 佳和 东方 长城 海纳 立信 正泰 明德 安达 德信 光华 永辉 宏图 卓越 智联 "
    "启航 蓝海 绿源 银河 晨光 精工 泰和 万象 广源 中联 众诚 华泰 瑞祥 恒信 联创 润泽 恒瑞 "
    "鑫源 祥瑞 辰星 融信 宝丰 聚力 睿思 帆软 弘毅 和泰 新天 创达 通宇 安泰".split()
)
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红")
TITLES = [
    "采购经理",
    "总经理",
    "技术总监",
    "财务主管",
    "行政主管",
    "董事长",
    "运营总监",
    "采购专员",
    "项目经理",
]
SIZES = [s for s, _ in Customer.Size.choices]
STATUS_WEIGHTS = [("lead", 30), ("prospect", 30), ("customer", 32), ("churned", 8)]
TIER_WEIGHTS = [("A", 15), ("B", 35), ("C", 50)]
NEEDS = [
    "希望年内完成系统升级",
    "关注售后响应速度",
    "预算有限，需分期付款",
    "计划扩大采购规模",
    "需要定制化方案",
]

BATCH = 10_000


def ensure_people() -> dict[str, User]:
    teams: dict[str, Team] = {}
    for key, name, parent in TEAMS:
        team = Team.objects.filter(name=name).first()
        teams[key] = team or account_services.create_team(
            name, teams.get(parent) if parent else None
        )
    people = {}
    for username, name, role, team_key in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                username,
                DEMO_PASSWORD,
                name=name,
                role=role,
                team=teams.get(team_key),
                email=f"{username}@kehu.example",
            )
        people[username] = user
    return people


def ensure_scale_reps(count: int) -> list[User]:
    """Extra reps for scale data, spread over the leaf teams."""
    leaves = list(Team.objects.filter(children__isnull=True))
    existing = list(User.objects.filter(username__startswith="rep_s"))
    new = []
    for i in range(len(existing), count):
        rng = random.Random(i)
        user = User(
            username=f"rep_s{i:04d}",
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            role=User.Role.REP,
            team=leaves[i % len(leaves)],
        )
        user.set_unusable_password()
        new.append(user)
    User.objects.bulk_create(new, batch_size=500)
    return existing + new


def ensure_lookups():
    for name, group, color in TAGS:
        Tag.objects.get_or_create(name=name, defaults={"group": group, "color": color})
    for name in CHANNELS:
        Channel.objects.get_or_create(name=name)
    for name, *_rest in INDUSTRIES:
        Industry.objects.get_or_create(name=name)
    return (
        {t.name: t.pk for t in Tag.objects.all()},
        {c.name: c.pk for c in Channel.objects.all()},
        {i.name: i.pk for i in Industry.objects.all()},
    )


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


@cache
def _key(brand: str, word: str) -> str:
    # name_key of "<city><brand><word><suffix>": the region and the suffix fall away
    return name_key(brand + word)


def _composed_pinyin(parts: list[str]) -> tuple[str, str]:
    full, initials = zip(*(pinyin_forms(p) for p in parts), strict=True)
    return "".join(full), "".join(initials)


def _phone(rng) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def generate(customers: int = 300, seed: int = 2026, progress=None) -> dict:
    """Adds `customers` customers (with contacts and tags) and returns counts."""
    rng = random.Random(seed)
    people = ensure_people()
    owners = [people["rep"], people["rep2"], people["rep3"], people["manager"], people["director"]]
    if customers > 20_000:
        owners += ensure_scale_reps(min(400, customers // 2500))
    tag_ids, channel_ids, industry_ids = ensure_lookups()
    tag_pks = list(tag_ids.values())
    channel_pks = list(channel_ids.values())
    ops = connection.ops
    now = timezone.now()
    small = customers <= 10_000

    cols = [
        "id",
        "name",
        "kind",
        "industry_id",
        "province",
        "city",
        "size",
        "address",
        "channel_id",
        "status",
        "tier",
        "score",
        "owner_id",
        "team_id",
        "core_needs",
        "product_preferences",
        "annual_budget",
        "cooperation_amount",
        "last_contact_at",
        "next_followup_at",
        "satisfaction",
        "notes",
        "name_key",
        "name_pinyin",
        "search_text",
        "created_at",
        "updated_at",
        "created_by_id",
        "updated_by_id",
        "version",
    ]
    contact_cols = [
        "customer_id",
        "name",
        "title",
        "phone",
        "phone2",
        "email",
        "wechat",
        "is_primary",
        "notes",
        "created_at",
        "updated_at",
    ]
    q = connection.ops.quote_name
    insert_customer = (
        f"INSERT INTO {q(Customer._meta.db_table)} ({', '.join(q(c) for c in cols)}) "
        f"VALUES ({', '.join(['%s'] * len(cols))})"
    )
    insert_contact = (
        f"INSERT INTO {q(Contact._meta.db_table)} ({', '.join(q(c) for c in contact_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(contact_cols))})"
    )
    insert_tag = (
        f"INSERT INTO {q(CustomerTag._meta.db_table)} (customer_id, tag_id) VALUES (%s, %s)"
    )

    start_id = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made = {"customers": 0, "contacts": 0, "tags": 0}
    for batch_start in range(0, customers, BATCH):
        n = min(BATCH, customers - batch_start)
        rows, contact_rows, tag_rows, created = [], [], [], []
        for i in range(n):
            cid = start_id + batch_start + i
            industry, words, need, products = rng.choice(INDUSTRIES)
            province, cities = rng.choice(REGIONS)
            city = rng.choice(cities)
            brand = rng.choice(BRANDS)
            if not small:  # 70 brands are too few for a million distinct companies
                brand += rng.choice(BRANDS)[0]
            word, suffix = rng.choice(words), rng.choice(SUFFIXES)
            parts = [city, brand, word, suffix]
            name = "".join(parts)
            full, initials = _composed_pinyin(parts)
            owner = rng.choice(owners)
            status = _weighted(rng, STATUS_WEIGHTS)
            tier = (
                _weighted(rng, TIER_WEIGHTS)
                if status in ("customer", "churned") or rng.random() < 0.4
                else ""
            )
            amount = (
                Decimal(rng.randrange(1, 500)) * Decimal("10000")
                if status in ("customer", "churned")
                else Decimal("0")
            )
            created_at = now - timedelta(days=rng.randrange(30, 1500), minutes=rng.randrange(1440))
            last = (
                now - timedelta(days=rng.randrange(0, 120), hours=rng.randrange(24))
                if rng.random() < 0.85
                else None
            )
            nxt = (
                (last or now) + timedelta(days=rng.choice([3, 7, 14, 30]))
                if status != "churned"
                else None
            )
            contacts = []
            for k in range(rng.choice([1, 1, 2, 2, 3])):
                cname = (
                    rng.choice(SURNAMES)
                    + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
                )
                phone = _phone(rng)
                contacts.append(
                    (
                        cid,
                        cname,
                        rng.choice(TITLES),
                        phone,
                        "",
                        f"{full[:12]}{k}@example.cn" if k == 0 else "",
                        "",
                        k == 0,
                        "",
                        created_at,
                        created_at,
                    )
                )
            search = search_document(
                name,
                [c[3] for c in contacts],
                [c[1] for c in contacts] + [c[5] for c in contacts],
                pinyin=(full, initials),
            )
            rows.append(
                (
                    cid,
                    name,
                    "company",
                    industry_ids[industry],
                    province,
                    city,
                    rng.choice(SIZES),
                    f"{province}{city}{rng.choice(['高新区', '经济开发区', '工业园区', '中心区'])}"
                    f"{rng.randrange(1, 999)}号",
                    rng.choice(channel_pks),
                    status,
                    tier,
                    ops.adapt_decimalfield_value(Decimal(rng.randrange(2000, 9900)) / 100, 5, 2)
                    if tier
                    else None,
                    owner.pk,
                    owner.team_id,
                    rng.choice(NEEDS) + "；" + need,
                    products,
                    ops.adapt_decimalfield_value(
                        Decimal(rng.randrange(5, 800)) * Decimal("10000"), 14, 2
                    ),
                    ops.adapt_decimalfield_value(amount, 14, 2),
                    ops.adapt_datetimefield_value(last),
                    ops.adapt_datetimefield_value(nxt),
                    rng.choice([3, 4, 4, 5, 5]) if status == "customer" else None,
                    "",
                    _key(brand, word),
                    full[:255],
                    search,
                    ops.adapt_datetimefield_value(created_at),
                    ops.adapt_datetimefield_value(last or created_at),
                    owner.pk,
                    owner.pk,
                    1,
                )
            )
            contact_rows += [
                (*c[:9], ops.adapt_datetimefield_value(c[9]), ops.adapt_datetimefield_value(c[10]))
                for c in contacts
            ]
            for tag in rng.sample(tag_pks, rng.choice([0, 0, 1, 1, 2])):
                tag_rows.append((cid, tag))
            if small:
                created.append((cid, name, owner.pk, created_at))
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.executemany(insert_customer, rows)
                cursor.executemany(insert_contact, contact_rows)
                if tag_rows:
                    cursor.executemany(insert_tag, tag_rows)
            if small:
                AuditEvent.objects.bulk_create(
                    [
                        AuditEvent(
                            actor_id=owner_id,
                            action=AuditEvent.Action.CREATE,
                            model="customers.customer",
                            object_id=cid,
                            object_repr=name,
                            customer_id=cid,
                        )
                        for cid, name, owner_id, _at in created
                    ]
                )
        made["customers"] += n
        made["contacts"] += len(contact_rows)
        made["tags"] += len(tag_rows)
        if progress:
            progress(made["customers"], customers)
    _reset_sequences()
    if small:
        _share_some(people, start_id, customers, rng)
    return made


def _share_some(people, start_id, count, rng):
    """A few of the rep's customers are shared with a colleague in another team."""
    ids = list(
        Customer.objects.filter(pk__gte=start_id, owner=people["rep"]).values_list("pk", flat=True)[
            :5
        ]
    )
    CustomerShare.objects.bulk_create(
        [CustomerShare(customer_id=i, user=people["rep2"]) for i in ids], ignore_conflicts=True
    )


def _reset_sequences():
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), [Customer, Contact, CustomerTag])
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
