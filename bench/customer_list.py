"""Customer list at scale: server time of real list pages against the bare SQL for the same page.

Build the database once (SQLite by default, PostgreSQL with DATABASE_URL):

    export KEHU_SQLITE_PATH=var/bench.sqlite3          # or DATABASE_URL=postgres://…/kehu_bench
    .venv/bin/kehu migrate && .venv/bin/kehu demo --customers 1000000

then run:

    .venv/bin/python bench/customer_list.py [--runs 20]

Each case renders the page through Django's test client (middleware, access rules, query,
template: everything but the socket) and reports median and p95 milliseconds, the number of SQL
queries, and the ratio to a baseline measured in the same run: the bare indexed SELECT for the
same rows (LIMIT 50) through a raw cursor.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
os.environ.setdefault(
    "KEHU_STATIC_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("KEHU_SQLITE_PATH", "var/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.core.paging import encode_cursor  # noqa: E402
from kehu.customers.models import Contact, Customer  # noqa: E402

SIZE = 50


def timed(fn, runs):
    fn()  # warm caches and connections
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def raw(sql, params=()):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    total = Customer.objects.count()
    if total < 1000:
        sys.exit("Build the database first (see the top of this file).")
    director = User.objects.get(username="director")
    rep = User.objects.get(username="rep")
    manager = User.objects.get(username="manager")
    busy_owner = (
        Customer.objects.filter(tier="A").values_list("owner_id", flat=True).order_by("-id").first()
    )
    deep_row = Customer.objects.order_by("-updated_at", "-id").values("updated_at", "id")[
        total // 2
    ]
    deep_cursor = encode_cursor(deep_row["updated_at"], deep_row["id"])
    fragment = Contact.objects.order_by("-id").values_list("phone", flat=True).first()[2:9]
    t = connection.ops.quote_name
    table = t(Customer._meta.db_table)
    cols = "id, name, tier, status, owner_id, industry_id, cooperation_amount, last_contact_at"
    fts = (
        "id IN (SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH %s)"
        if connection.vendor == "sqlite"
        else "search_text LIKE %s"
    )

    def fts_param(q):
        return f'"{q}"' if connection.vendor == "sqlite" else f"%{q}%"

    cases = [
        (
            "first page (director)",
            director,
            {},
            f"SELECT {cols} FROM {table} ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            (),
        ),
        (
            "filtered: tier A + owner",
            director,
            {"tier": "A", "owner": busy_owner},
            f"SELECT {cols} FROM {table} WHERE tier = %s AND owner_id = %s "
            f"ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            ("A", busy_owner),
        ),
        (
            f"deep page (row {total // 2:,})",
            director,
            {"after": deep_cursor},
            f"SELECT {cols} FROM {table} WHERE updated_at <= %s AND (updated_at < %s OR id < %s) "
            f"ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            (
                connection.ops.adapt_datetimefield_value(deep_row["updated_at"]),
                connection.ops.adapt_datetimefield_value(deep_row["updated_at"]),
                deep_row["id"],
            ),
        ),
        (
            "sort by amount (desc)",
            director,
            {"sort": "-cooperation_amount"},
            f"SELECT {cols} FROM {table} ORDER BY cooperation_amount DESC, id DESC LIMIT {SIZE}",
            (),
        ),
        (
            # a broad term (~15% of companies): the fastest bare plan walks the sort index
            "search pinyin initials 'kjyx'",
            director,
            {"q": "kjyx"},
            f"SELECT {cols} FROM {table} WHERE search_text LIKE %s "
            f"ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            ("%kjyx%",),
        ),
        (
            f"search phone fragment '{fragment}'",
            director,
            {"q": fragment},
            f"SELECT {cols} FROM {table} WHERE {fts} ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            (fts_param(fragment),),
        ),
        (
            "first page (manager, team subtree)",
            manager,
            {},
            f"SELECT {cols} FROM {table} WHERE team_id IN "
            f"(SELECT id FROM accounts_team WHERE path LIKE %s) "
            f"ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            (manager.team.path + "%",),
        ),
        (
            "first page (rep, own book)",
            rep,
            {},
            f"SELECT {cols} FROM {table} WHERE owner_id = %s "
            f"ORDER BY updated_at DESC, id DESC LIMIT {SIZE}",
            (rep.pk,),
        ),
    ]

    print(f"Customer list benchmark · {connection.vendor} · {total:,} customers · {args.runs} runs")
    header = f"{'case':<40} {'page ms':>9} {'p95':>8} {'queries':>8} {'SQL ms':>8} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    slow = []
    for label, user, params, sql, sql_params in cases:
        client = Client()
        client.force_login(user)

        def page(client=client, params=params):
            response = client.get("/customers/", params)
            assert response.status_code == 200, response.status_code

        captured = []

        def count(execute, sql, params, many, context, captured=captured):
            captured.append({"sql": sql % tuple(repr(p) for p in params) if params else sql})
            return execute(sql, params, many, context)

        page()
        with connection.execute_wrapper(count):
            page()
        med, p95 = timed(page, args.runs)
        base, _ = timed(raw(sql, sql_params), args.runs)
        print(
            f"{label:<40} {med:>9.1f} {p95:>8.1f} {len(captured):>8} {base:>8.2f} "
            f"{med / max(base, 0.001):>6.1f}x"
        )
        if med > 100:
            slow.append((label, captured))
    print()
    print("page ms: median server time of the whole page; SQL ms: the bare indexed SELECT for the")
    print("same 50 rows; ratio = page / SQL (the rest is Django: session, access, template).")
    for label, queries in slow:
        print(f"\nSlow case {label!r}: the page's queries and plans")
        for q in queries:
            sql = q["sql"]
            print(f"  {sql[:300]}")
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            if sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute(explain + sql)
                    for row in cursor.fetchall():
                        print("     ", row)


if __name__ == "__main__":
    main()
