"""Realistic Chinese demo data: teams, the demo people, and customers with contacts and tags.

Small demos go through nothing special; the million-customer run is set-based: rows are built
in batches of 10,000 as plain values and written with one statement per table per batch
(SQLite: executemany, ~10x faster than bulk_create; PostgreSQL: COPY, ~7x faster again), so
memory stays flat whatever the size. From 100,000 customers on, the secondary indexes and the
SQLite search triggers are dropped for the load and built once at the end. Derived columns
(name_key, name_pinyin, search_text) are exactly what customers.services would store; pinyin
is read phrase by phrase from a cache, because pypinyin on a million full names alone would
take minutes.
"""

import random
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, timedelta
from functools import cache
from itertools import accumulate

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from kehu.accounts import services as account_services
from kehu.accounts.models import Team, User
from kehu.core.bulk import insert_rows
from kehu.core.models import AuditEvent
from kehu.core.text import name_key, pinyin_by_words, pinyin_forms, search_document
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerShare,
    CustomerTag,
    Industry,
    Tag,
)
from kehu.customers.search import FTS_TABLE, PG_SEARCH_TABLE

SEARCH_TRIGGER = "customers_search_ai"  # PostgreSQL: keeps PG_SEARCH_TABLE in step (0006)

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
# From this many customers on, the load drops the tables' secondary indexes (and on SQLite the
# search-index triggers), writes bare rows and builds each index once at the end: one sorted
# build instead of a million random B-tree inserts per index.
BULK = 100_000

CUSTOMER_COLUMNS = [
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
CONTACT_COLUMNS = [
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
TAG_COLUMNS = ["customer_id", "tag_id"]
TABLES = [
    (Customer._meta.db_table, CUSTOMER_COLUMNS),
    (Contact._meta.db_table, CONTACT_COLUMNS),
    (CustomerTag._meta.db_table, TAG_COLUMNS),
]


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


# --- names ---------------------------------------------------------------------------------
@cache
def _key(brand: str, word: str) -> str:
    # name_key of "<city><brand><word><suffix>": the region and the suffix fall away
    return name_key(brand + word)


def _name_pinyin() -> Callable[[str], tuple[str, str]]:
    """The fast reader when it agrees with pinyin_forms on a sample of names (it leans on
    pypinyin's segmenter), else pinyin_forms itself."""
    rng = random.Random(7)
    sample = ["郑州长城恒食品集团有限公司", "成都卓越长工程设计股份有限公司", "重庆银行"]
    for _ in range(2000):
        _i, words, _n, _p = rng.choice(INDUSTRIES)
        brand = rng.choice(BRANDS) + rng.choice(BRANDS)[0]
        city = rng.choice(rng.choice(REGIONS)[1])
        sample.append(city + brand + rng.choice(words) + rng.choice(SUFFIXES))
    try:
        if all(pinyin_by_words(n) == pinyin_forms.__wrapped__(n) for n in sample):
            return pinyin_by_words
    except Exception:  # noqa: BLE001 - pypinyin internals moved: take the slow, sure path
        pass
    return pinyin_forms


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(accumulate(weights))


def _phone(rng) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


# --- rows ----------------------------------------------------------------------------------
def _batches(rng, count, start_id, owners, industry_ids, channel_pks, tag_pks, brand_pairs, tz):
    """Yields (customer rows, contact rows, tag rows) of up to BATCH customers, as values every
    driver takes: datetimes as UTC text (`tz` is the offset PostgreSQL wants, "" for SQLite,
    which is how Django stores them there), decimals as text."""
    choice, rand, randrange, choices = rng.choice, rng.random, rng.randrange, rng.choices
    industries = [(industry_ids[i], words, need, prods) for i, words, need, prods in INDUSTRIES]
    owner_pairs = [(o.pk, o.team_id) for o in owners]
    statuses, status_cum = _weighted(STATUS_WEIGHTS)
    tiers, tier_cum = _weighted(TIER_WEIGHTS)
    areas = ["高新区", "经济开发区", "工业园区", "中心区"]
    now = timezone.now().astimezone(UTC).replace(tzinfo=None)
    day, hour, minute = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    read_pinyin = _name_pinyin() if count > 10_000 else pinyin_forms
    for batch_start in range(0, count, BATCH):
        rows, contact_rows, tag_rows = [], [], []
        for cid in range(start_id + batch_start, start_id + min(count, batch_start + BATCH)):
            industry_id, words, need, products = choice(industries)
            province, cities = choice(REGIONS)
            city = choice(cities)
            brand = choice(BRANDS)
            if brand_pairs:  # 70 brands are too few for a million distinct companies
                brand += choice(BRANDS)[0]
            word, suffix = choice(words), choice(SUFFIXES)
            name = city + brand + word + suffix
            full, initials = read_pinyin(name)
            owner_id, team_id = choice(owner_pairs)
            status = choices(statuses, cum_weights=status_cum)[0]
            bought = status in ("customer", "churned")
            tier = choices(tiers, cum_weights=tier_cum)[0] if bought or rand() < 0.4 else ""
            created = now - randrange(30, 1500) * day - randrange(1440) * minute
            # a team that works its book: most were contacted in the last weeks, one in twenty
            # has slid past the public-pool rules, some were never contacted
            if rand() < 0.85:
                idle = min(rng.expovariate(1 / 9), 40) if rand() < 0.95 else randrange(40, 200)
                last = now - idle * day - randrange(24) * hour
            else:
                last = None
            nxt = (last or now) + choice([3, 7, 14, 30]) * day if status != "churned" else None
            created_at = f"{created}{tz}"
            contacts = []
            for k in range(choice([1, 1, 2, 2, 3])):
                cname = choice(SURNAMES) + choice(GIVEN) + (choice(GIVEN) if rand() < 0.6 else "")
                email = f"{full[:12]}{k}@example.cn" if k == 0 else ""
                contacts.append(
                    (cid, cname, choice(TITLES), _phone(rng), "", email, "", k == 0, "")
                    + (created_at, created_at)
                )
            # what customers.services derives: phones, then each contact's name and e-mail
            search = search_document(
                name,
                [c[3] for c in contacts],
                [x for c in contacts for x in (c[1], c[5])],
                pinyin=(full, initials),
            )
            score = randrange(2000, 9900)
            rows.append(
                (
                    cid,
                    name,
                    "company",
                    industry_id,
                    province,
                    city,
                    choice(SIZES),
                    f"{province}{city}{choice(areas)}{randrange(1, 999)}号",
                    choice(channel_pks),
                    status,
                    tier,
                    f"{score // 100}.{score % 100:02d}" if tier else None,
                    owner_id,
                    team_id,
                    choice(NEEDS) + "；" + need,
                    products,
                    f"{randrange(5, 800)}0000.00",
                    f"{randrange(1, 500)}0000.00" if bought else "0.00",
                    f"{last}{tz}" if last else None,
                    f"{nxt}{tz}" if nxt else None,
                    choice([3, 4, 4, 5, 5]) if status == "customer" else None,
                    "",
                    _key(brand, word),
                    full[:255],
                    search,
                    created_at,
                    f"{last}{tz}" if last else created_at,
                    owner_id,
                    owner_id,
                    1,
                )
            )
            contact_rows += contacts
            tag_rows += [(cid, tag) for tag in rng.sample(tag_pks, choice([0, 0, 1, 1, 2]))]
        yield rows, contact_rows, tag_rows


# --- writing -------------------------------------------------------------------------------
def _write(cursor, batches):
    for (table, cols), rows in zip(TABLES, batches, strict=True):
        if rows:
            insert_rows(table, cols, rows, cursor=cursor)


@contextmanager
def _indexes_built_after(enabled: bool):
    """Drops the secondary indexes of the three tables (and SQLite's search-index triggers,
    PostgreSQL's foreign keys), runs the load, then recreates them all from their saved
    definitions and rebuilds the search index, so the schema ends exactly as it began. Primary
    keys and unique constraints stay."""
    if not enabled:
        yield
        return
    tables = [table for table, _cols in TABLES]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # for the rest of this connection (the demo command's): read through the OS cache
            # rather than mapping the 2 GB file into the process, and let index-build sorts
            # spill to temporary files, so the command's memory stays flat (1.4 GB → 0.15 GB)
            cursor.execute("PRAGMA mmap_size=0")
            cursor.execute("PRAGMA temp_store=FILE")
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
                tables,
            )
            saved = cursor.fetchall()
            drops = [f'DROP {kind.upper()} "{name}"' for kind, name, _sql in saved]
            restore = _restore_sqlite
        else:
            # foreign keys too: checking 7 million references row by row at commit costs more
            # than the COPY itself; ADD CONSTRAINT checks them in one join
            cursor.execute(
                "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "UNION ALL SELECT 'index', '', indexrelid::regclass::text, "
                "pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables, [*tables, PG_SEARCH_TABLE]],
            )
            saved = cursor.fetchall()
            q = connection.ops.quote_name
            drops = [
                f"ALTER TABLE {table} DROP CONSTRAINT {q(name)}"
                if kind == "constraint"
                else f"DROP INDEX {name}"
                for kind, table, name, _sql in saved
            ]
            # the search table is filled in one statement after the load, not row by row
            drops.append(
                f"ALTER TABLE {q(Customer._meta.db_table)} DISABLE TRIGGER {SEARCH_TRIGGER}"
            )
            restore = _restore_postgresql
        with transaction.atomic():
            for sql in drops:
                cursor.execute(sql)
    try:
        yield
    finally:
        restore(saved)


def _restore_sqlite(saved):
    with connection.cursor() as cursor:
        for kind, _name, sql in saved:
            if kind == "index":
                with transaction.atomic():
                    cursor.execute(sql)
        with transaction.atomic():
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            for kind, _name, sql in saved:
                if kind == "trigger":
                    cursor.execute(sql)


def _restore_postgresql(saved):
    """The trigram GIN index takes as long as all the rest (about a minute at a million, on one
    core), so a second connection builds it meanwhile. Both only take SHARE locks; the foreign
    keys, added last, wait for it."""
    q = connection.ops.quote_name
    customers = q(Customer._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PG_SEARCH_TABLE} (id, search_text) SELECT id, search_text "
            f"FROM {customers} ON CONFLICT (id) DO UPDATE SET search_text = EXCLUDED.search_text"
        )
        cursor.execute(f"ALTER TABLE {customers} ENABLE TRIGGER {SEARCH_TRIGGER}")
    gin = [sql for kind, _t, _n, sql in saved if kind == "index" and " USING gin " in sql]
    rest = [sql for kind, _t, _n, sql in saved if kind == "index" and sql not in gin] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} {sql}"
        for kind, table, name, sql in saved
        if kind == "constraint"
    ]
    failed = []

    def build(statements, conn):
        try:
            with conn.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                for sql in statements:
                    cursor.execute(sql)
                cursor.execute("RESET maintenance_work_mem")
        except Exception as exc:  # noqa: BLE001 - re-raised in the calling thread
            failed.append(exc)
        finally:
            if conn is not connection:
                conn.close()

    helper = threading.Thread(
        target=lambda: build(gin, connections.create_connection(DEFAULT_DB_ALIAS))
    )
    helper.start()
    build(rest, connection)
    helper.join()
    if failed:
        raise failed[0]
    # set the visibility map now (autovacuum may be off, or late), so that counts and
    # index-only scans need not visit the heap
    with connection.cursor() as cursor:
        for table in [*(table for table, _cols in TABLES), PG_SEARCH_TABLE]:
            cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")


def generate(customers: int = 300, seed: int = 2026, progress=None) -> dict:
    """Adds `customers` customers (with contacts and tags) and returns counts."""
    rng = random.Random(seed)
    people = ensure_people()
    owners = [people["rep"], people["rep2"], people["rep3"], people["manager"], people["director"]]
    if customers > 20_000:
        owners += ensure_scale_reps(min(400, customers // 2500))
    tag_ids, channel_ids, industry_ids = ensure_lookups()
    small = customers <= 10_000
    postgres = connection.vendor == "postgresql"

    start_id = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    batches = _batches(
        rng,
        customers,
        start_id,
        owners,
        industry_ids,
        list(channel_ids.values()),
        list(tag_ids.values()),
        brand_pairs=not small,
        tz="+00:00" if postgres else "",
    )
    made = {"customers": 0, "contacts": 0, "tags": 0}
    with _indexes_built_after(customers >= BULK):
        for rows, contact_rows, tag_rows in batches:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    _write(cursor, (rows, contact_rows, tag_rows))
                if small:
                    _audit_created(rows)
            made["customers"] += len(rows)
            made["contacts"] += len(contact_rows)
            made["tags"] += len(tag_rows)
            if progress:
                progress(made["customers"], customers)
    _reset_sequences()
    if small:
        _share_some(people, start_id, customers, rng)
    return made


def _audit_created(rows):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_id=row[12],
                action=AuditEvent.Action.CREATE,
                model="customers.customer",
                object_id=row[0],
                object_repr=row[1],
                customer_id=row[0],
            )
            for row in rows
        ]
    )


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
