"""Customer list at scale: server time of real list pages against the bare SQL for the same page.

Build a database with a million customers once (2.5–3 minutes on the 2-core machine):

    # SQLite
    export KEHU_SQLITE_PATH=var/bench.sqlite3
    .venv/bin/kehu migrate && .venv/bin/kehu demo --customers 1000000
    # or PostgreSQL
    createdb -h 127.0.0.1 -U postgres kehu_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kehu_bench
    .venv/bin/kehu migrate && .venv/bin/kehu demo --customers 1000000

then run, with the same environment or naming the database:

    .venv/bin/python bench/customer_list.py [--runs 20]
    .venv/bin/python bench/customer_list.py --sqlite-path var/bench.sqlite3
    .venv/bin/python bench/customer_list.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Each case renders the page through Django's test client (middleware, session, access rules,
filters, query, template: everything but the socket) and reports the median and p95 server time,
the number of SQL queries and the part of the time spent in them, and the ratio to a baseline
measured in the same run: the bare indexed SELECT of the same 50 rows through a raw cursor.
Any case slower than --slow-ms (100) also prints the plans of its customer queries.
"""

import argparse
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = 50
# the page's own queries: its rows, its capped count, the search probe
CUSTOMER_QUERY = re.compile(
    r'^\s*SELECT .*FROM (?:"customers_customer"|customers_customer_fts )', re.S
)
BUILD_HINT = __doc__.split("then run")[0].split("\n", 2)[2]


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case (default 20)")
    parser.add_argument("--database-url", help="PostgreSQL database (default: $DATABASE_URL)")
    parser.add_argument(
        "--sqlite-path", help="SQLite file (default: $KEHU_SQLITE_PATH, else var/bench.sqlite3)"
    )
    parser.add_argument(
        "--slow-ms", type=float, default=100, help="explain cases slower than this (default 100)"
    )
    parser.add_argument(
        "--analyze", action="store_true", help="EXPLAIN ANALYZE on PostgreSQL (runs the query)"
    )
    return parser.parse_args()


def configure(args):
    """Points Django at the benchmark database before it starts; refuses a missing SQLite file
    (Django would quietly create an empty one)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    # rendering pages needs no collected, hashed static files
    os.environ.setdefault(
        "KEHU_STATIC_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    elif args.sqlite_path:
        os.environ.pop("DATABASE_URL", None)
        os.environ["KEHU_SQLITE_PATH"] = args.sqlite_path
    if not os.environ.get("DATABASE_URL"):
        path = Path(os.environ.setdefault("KEHU_SQLITE_PATH", str(ROOT / "var/bench.sqlite3")))
        if not path.exists():
            sys.exit(f"No database at {path}. Build one first:\n{BUILD_HINT}")
    import django

    django.setup()


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


class QueryLog:
    """Execute wrapper: the queries of the current run with their time."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - start) * 1000, sql, params))


def time_page(client, params, runs):
    """→ (page ms sorted, SQL ms per run sorted, the queries of the median run)."""
    from django.db import connection

    def get():
        response = client.get("/customers/", params)
        assert response.status_code == 200, response.status_code

    get()  # warm: session, caches, templates
    results = []
    for _ in range(runs):
        log = QueryLog()
        with connection.execute_wrapper(log):
            start = time.perf_counter()
            get()
            elapsed = (time.perf_counter() - start) * 1000
        results.append((elapsed, sum(ms for ms, _s, _p in log.queries), log.queries))
    results.sort(key=lambda r: r[0])
    return (
        [r[0] for r in results],
        sorted(r[1] for r in results),
        results[len(results) // 2][2],
    )


def time_sql(sql, params, runs):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def explain(sql, params, analyze=False):
    from django.db import connection

    if connection.vendor == "sqlite":
        prefix = "EXPLAIN QUERY PLAN "
    else:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # (id, parent, notused, detail): indent by depth
        depth = {0: 0}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * depth[node] + detail)
        return lines
    return [row[0] for row in rows]


def build_cases():
    """(label, user, query parameters, baseline SQL, baseline parameters) for each case."""
    from django.db import connection

    from kehu.accounts import access
    from kehu.accounts.models import User
    from kehu.core.paging import encode_cursor
    from kehu.customers import search
    from kehu.customers.models import Contact, Customer, CustomerShare

    total = Customer.objects.count()
    if total < 100_000:
        sys.exit(f"Only {total:,} customers here; the benchmark wants a million:\n{BUILD_HINT}")
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    rep = User.objects.get(username="rep")
    # a specific owner with tier-A customers: the owner of the most recent one
    busy_owner = (
        Customer.objects.filter(tier="A").order_by("-updated_at", "-id").values("owner_id")[0]
    )["owner_id"]
    middle = total // 2
    deep_row = Customer.objects.order_by("-updated_at", "-id").values("updated_at", "id")[middle]
    deep_cursor = encode_cursor(deep_row["updated_at"], deep_row["id"])
    fragment = Contact.objects.order_by("-id").values_list("phone", flat=True).first()[2:9]

    q = connection.ops.quote_name
    table = q(Customer._meta.db_table)
    cols = "id, name, tier, status, owner_id, industry_id, cooperation_amount, last_contact_at"
    by_date = "ORDER BY updated_at DESC, id DESC"

    def scope(user):
        """The visible set of a rep or manager, written as access.visible_customers does."""
        parts, params = ["owner_id = %s"], [user.pk]
        shared = CustomerShare.objects.filter(user=user).values_list("customer_id", flat=True)
        if shared:
            parts.append(f"id IN ({', '.join(str(i) for i in shared)})")
        if user.is_manager and user.team_id:
            teams = access.team_subtree_ids(user.team)
            parts.append(f"team_id IN ({', '.join(str(i) for i in teams)})")
        return "(" + " OR ".join(parts) + ")", params

    if connection.vendor == "sqlite":  # what customers.search picks for a rare term
        phone_where = (
            "id IN (SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH %s)"
            " AND search_text LIKE %s"
        )
        phone_params = [search.trigrams(fragment), f"%{fragment}%"]
    else:
        phone_where, phone_params = "search_text LIKE %s", [f"%{fragment}%"]
    when = connection.ops.adapt_datetimefield_value(deep_row["updated_at"])
    manager_scope, manager_params = scope(manager)
    rep_scope, rep_params = scope(rep)
    cases = [
        (
            "first page (director)",
            director,
            {},
            f"SELECT {cols} FROM {table} {by_date} LIMIT {SIZE}",
            [],
        ),
        (
            "filtered: tier A + one owner",
            director,
            {"tier": "A", "owner": busy_owner},
            f"SELECT {cols} FROM {table} WHERE tier = %s AND owner_id = %s {by_date} LIMIT {SIZE}",
            ["A", busy_owner],
        ),
        (
            f"deep page (keyset, row {middle:,})",
            director,
            {"after": deep_cursor},
            f"SELECT {cols} FROM {table} WHERE updated_at <= %s AND (updated_at < %s OR id < %s) "
            f"{by_date} LIMIT {SIZE}",
            [when, when, deep_row["id"]],
        ),
        (
            "search pinyin initials 'kjyx'",
            director,
            {"q": "kjyx"},
            # a broad term (~10% of companies): the fastest bare plan walks the sort index
            f"SELECT {cols} FROM {table} WHERE search_text LIKE %s {by_date} LIMIT {SIZE}",
            ["%kjyx%"],
        ),
        (
            f"search phone fragment '{fragment}'",
            director,
            {"q": fragment},
            f"SELECT {cols} FROM {table} WHERE {phone_where} {by_date} LIMIT {SIZE}",
            phone_params,
        ),
        (
            "sort by amount (desc)",
            director,
            {"sort": "-cooperation_amount"},
            f"SELECT {cols} FROM {table} ORDER BY cooperation_amount DESC, id DESC LIMIT {SIZE}",
            [],
        ),
        (
            "first page (rep, own book)",
            rep,
            {},
            f"SELECT {cols} FROM {table} WHERE {rep_scope} {by_date} LIMIT {SIZE}",
            rep_params,
        ),
        (
            "first page (manager, team subtree)",
            manager,
            {},
            f"SELECT {cols} FROM {table} WHERE {manager_scope} {by_date} LIMIT {SIZE}",
            manager_params,
        ),
    ]
    return total, cases


def main():
    args = parse_args()
    configure(args)

    from django.db import connection
    from django.test import Client

    total, cases = build_cases()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        version = cursor.fetchone()[0]
    name = connection.settings_dict["NAME"]
    print(
        f"Customer list · {connection.vendor} {version} · {name} · {total:,} customers · "
        f"{args.runs} runs per case"
    )
    header = (
        f"{'case':<38} {'page ms':>8} {'p95':>7} {'queries':>7} {'in SQL':>7} "
        f"{'bare SQL':>9} {'p95':>6} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    slow = []
    for label, user, params, sql, sql_params in cases:
        client = Client()
        client.force_login(user)
        pages, sql_ms, queries = time_page(client, params, args.runs)
        bare = time_sql(sql, sql_params, args.runs)
        page_med, bare_med = statistics.median(pages), statistics.median(bare)
        print(
            f"{label:<38} {page_med:>8.1f} {percentile(pages, 95):>7.1f} {len(queries):>7} "
            f"{statistics.median(sql_ms):>7.1f} {bare_med:>9.2f} {percentile(bare, 95):>6.2f} "
            f"{page_med / max(bare_med, 0.001):>6.0f}x"
        )
        if page_med > args.slow_ms:
            slow.append((label, page_med, queries))
    print(
        "\npage ms: server time of the whole page (median, p95); queries: SQL statements of one\n"
        "page; in SQL: the page's time inside them (median); bare SQL: the indexed SELECT of the\n"
        "same 50 rows through a raw cursor (median, p95); ratio: page / bare SQL."
    )
    for label, page_med, queries in slow:
        print(
            f"\n{label}: {page_med:.0f} ms. Its customer queries, slowest first, and their plans:"
        )
        for ms, sql, params in sorted(queries, key=lambda x: -x[0]):
            if not CUSTOMER_QUERY.search(sql):
                continue
            print(f"  {ms:8.2f} ms  {sql[:300]}{' …' if len(sql) > 300 else ''}")
            for line in explain(sql, params, args.analyze):
                print(f"               {line}")


if __name__ == "__main__":
    main()
