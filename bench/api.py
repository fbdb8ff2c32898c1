"""JSON API list endpoints at scale: server time of a page of 100 through the API, against the
bare SQL of the same page.

Uses the million-customer database of bench/customer_list.py (see bench/README.md):

    .venv/bin/python bench/api.py [--runs 20] [--sqlite-path var/bench.sqlite3]
    .venv/bin/python bench/api.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Each case requests /api/v1/<list>?limit=100 through Django's test client as a director, a
manager or a rep (logged-in session, which the API accepts beside tokens: the benchmark database
needs no token table), and reports the median and p95 milliseconds, the queries of a page and
their time, and the baseline measured in the same run: the bare indexed SELECT of the same 100
rows (the same visible-set condition for reps and managers) through a raw cursor.
"""

import argparse
import statistics
import sys
import time

from customer_list import QueryLog, configure, explain, percentile, time_sql

LIMIT = 100


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case (default 20)")
    parser.add_argument("--database-url", help="PostgreSQL database (default: $DATABASE_URL)")
    parser.add_argument("--sqlite-path", help="SQLite file (default: var/bench.sqlite3)")
    parser.add_argument("--slow-ms", type=float, default=100, help="explain cases slower than this")
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE on PostgreSQL")
    return parser.parse_args()


def time_api(client, path, runs):
    from django.db import connection

    def get():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return response

    assert len(get().json()["items"]) > 0, path  # warm, and not an empty page
    results = []
    for _ in range(runs):
        log = QueryLog()
        with connection.execute_wrapper(log):
            start = time.perf_counter()
            get()
            elapsed = (time.perf_counter() - start) * 1000
        results.append((elapsed, sum(ms for ms, _s, _p in log.queries), log.queries))
    results.sort(key=lambda r: r[0])
    return [r[0] for r in results], sorted(r[1] for r in results), results[len(results) // 2][2]


def build_cases():
    from django.db import connection

    from kehu.accounts import access
    from kehu.accounts.models import User
    from kehu.core.paging import encode_cursor
    from kehu.customers.models import Customer, CustomerShare

    total = Customer.objects.count()
    if total < 100_000:
        sys.exit(f"Only {total:,} customers here; build the million first (bench/README.md).")
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    rep = User.objects.get(username="rep")
    q = connection.ops.quote_name

    def scope(user, alias=""):
        """The visible set of a rep or manager, as access.visible_customers writes it."""
        prefix = f"{alias}." if alias else ""
        parts, params = [f"{prefix}owner_id = %s"], [user.pk]
        shared = CustomerShare.objects.filter(user=user).values_list("customer_id", flat=True)
        if shared:
            parts.append(f"{prefix}id IN ({', '.join(str(i) for i in shared)})")
        if user.is_manager and user.team_id:
            teams = access.team_subtree_ids(user.team)
            parts.append(f"{prefix}team_id IN ({', '.join(str(i) for i in teams)})")
        return "(" + " OR ".join(parts) + ")", params

    customers = q(Customer._meta.db_table)
    by_date = f"ORDER BY updated_at DESC, id DESC LIMIT {LIMIT}"
    middle = Customer.objects.order_by("-updated_at", "-id").values("updated_at", "id")[total // 2]
    deep = encode_cursor(middle["updated_at"], middle["id"])
    when = connection.ops.adapt_datetimefield_value(middle["updated_at"])
    rep_scope, rep_params = scope(rep)
    manager_scope, manager_params = scope(manager)
    cases = [
        ("customers (director)", director, "customers", f"SELECT * FROM {customers} {by_date}", []),
        (
            "customers, deep page (director)",
            director,
            f"customers?cursor={deep}",
            f"SELECT * FROM {customers} WHERE updated_at <= %s AND (updated_at < %s OR id < %s) "
            f"{by_date}",
            [when, when, middle["id"]],
        ),
        (
            "customers tier A (director)",
            director,
            "customers?tier=A",
            f"SELECT * FROM {customers} WHERE tier = %s {by_date}",
            ["A"],
        ),
        (
            "customers (manager)",
            manager,
            "customers",
            f"SELECT * FROM {customers} WHERE {manager_scope} {by_date}",
            manager_params,
        ),
        (
            "customers (rep)",
            rep,
            "customers",
            f"SELECT * FROM {customers} WHERE {rep_scope} {by_date}",
            rep_params,
        ),
    ]
    related = [
        ("contacts", "customers_contact"),
        ("deals", "pipeline_deal"),
        ("interactions", "followups_interaction"),
        ("followups", "followups_followup"),
        ("orders", "sales_order"),
    ]
    for endpoint, table in related:
        cases.append(
            (
                f"{endpoint} (director)",
                director,
                endpoint,
                f"SELECT * FROM {q(table)} ORDER BY id DESC LIMIT {LIMIT}",
                [],
            )
        )
        for label, user in (("manager", manager), ("rep", rep)):
            where, params = scope(user, "c")
            cases.append(
                (
                    f"{endpoint} ({label})",
                    user,
                    endpoint,
                    f"SELECT t.* FROM {q(table)} t JOIN {customers} c ON c.id = t.customer_id "
                    f"WHERE {where} ORDER BY t.id DESC LIMIT {LIMIT}",
                    params,
                )
            )
    cases.append(
        (
            "targets (director)",
            director,
            "targets",
            f"SELECT * FROM {q('targets_target')} ORDER BY id DESC LIMIT {LIMIT}",
            [],
        )
    )
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
    print(
        f"API lists · {connection.vendor} {version} · {connection.settings_dict['NAME']} · "
        f"{total:,} customers · pages of {LIMIT} · {args.runs} runs per case"
    )
    header = (
        f"{'case':<34} {'page ms':>8} {'p95':>7} {'queries':>7} {'in SQL':>7} "
        f"{'bare SQL':>9} {'p95':>6} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    slow = []
    for label, user, endpoint, sql, params in cases:
        client = Client()
        client.force_login(user)
        sep = "&" if "?" in endpoint else "?"
        pages, sql_ms, queries = time_api(
            client, f"/api/v1/{endpoint}{sep}limit={LIMIT}", args.runs
        )
        bare = time_sql(sql, params, args.runs)
        page_med, bare_med = statistics.median(pages), statistics.median(bare)
        print(
            f"{label:<34} {page_med:>8.1f} {percentile(pages, 95):>7.1f} {len(queries):>7} "
            f"{statistics.median(sql_ms):>7.1f} {bare_med:>9.2f} {percentile(bare, 95):>6.2f} "
            f"{page_med / max(bare_med, 0.001):>5.0f}x",
            flush=True,
        )
        if page_med > args.slow_ms:
            slow.append((label, page_med, queries))
    print(
        f"\npage ms: server time of one API page of {LIMIT} (median, p95); queries: its SQL "
        "statements (session and user included); in SQL: its time inside them (median); bare "
        "SQL: the same rows by a raw indexed SELECT (median, p95); ratio: page / bare SQL."
    )
    for label, page_med, queries in slow:
        print(f"\n{label}: {page_med:.0f} ms. Its queries, slowest first, and their plans:")
        for ms, sql, params in sorted(queries, key=lambda x: -x[0])[:3]:
            print(f"  {ms:8.2f} ms  {sql[:300]}{' …' if len(sql) > 300 else ''}")
            for line in explain(sql, params, args.analyze):
                print(f"               {line}")


if __name__ == "__main__":
    main()
