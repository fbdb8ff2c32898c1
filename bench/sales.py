"""Purchases and lifecycle at scale: the customer page of a big buyer, a year's company
lifecycle figures and a team's churn warnings, each against a bare SQL baseline measured in the
same run, with its goal.

Uses the million-customer database of bench/README.md; the first run adds about 5,000,000 order
lines (1.25 million orders), 200,000 survey answers and 50,000 feedback items (set-based,
kehu.demodata.sales.generate_at_scale) if it has no orders:

    .venv/bin/python bench/sales.py [--runs 10]
    .venv/bin/python bench/sales.py --sqlite-path var/bench.sqlite3
    .venv/bin/python bench/sales.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Cases (median and p95 of --runs, the number of SQL statements and the time inside them):
- customer page: GET /customers/<id>/ through Django's test client, logged in as the owner of
  the customer with the most orders (goal < 100 ms); and the purchase panel's reads on their
  own (kehu.sales.queries: purchase_summary, orders_of, cross_sell, answers_of, feedback_of).
  Baseline: the bare SUM/COUNT/MIN/MAX of that customer's orders.
- lifecycle figures: lifecycle.figures(Scope(), 1 January – 31 December of last year), every
  figure of the company (goal < 1 s). Baseline: one bare SUM/COUNT over that year's orders.
- churn warnings: lifecycle.churn_warnings(manager, Scope(team=…)) for the demo manager and a
  leaf team of the typical size in their subtree (goal < 500 ms); the manager's whole subtree
  too. Baseline: a bare COUNT of the team's customers whose next order is overdue.
A case that misses its goal prints its slowest statements with their plans.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# the helpers every benchmark shares: the database from the arguments, the query log, plans
from customer_list import QueryLog, explain, percentile  # noqa: E402
from customer_list import configure as configure_database  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="timed runs per case (default 10)")
    parser.add_argument("--database-url", help="PostgreSQL database (default: $DATABASE_URL)")
    parser.add_argument(
        "--sqlite-path", help="SQLite file (default: $KEHU_SQLITE_PATH, else var/bench.sqlite3)"
    )
    parser.add_argument(
        "--lines", type=int, help="order lines to add when there are none (default: 5 a customer)"
    )
    parser.add_argument(
        "--analyze", action="store_true", help="EXPLAIN ANALYZE on PostgreSQL (runs the query)"
    )
    return parser.parse_args()


def configure(args):
    """The database from the arguments, and one connection across requests (as the test runner
    keeps it), so that a page's queries are timed without a reconnection each time."""
    configure_database(args)
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def measure(fn, runs):
    """→ (ms of each run sorted, SQL ms of each run sorted, the queries of the median run)."""
    from django.db import connection

    fn()  # warm: caches, templates, the database's pages
    results = []
    for _ in range(runs):
        log = QueryLog()
        with connection.execute_wrapper(log):
            start = time.perf_counter()
            fn()
            elapsed = (time.perf_counter() - start) * 1000
        results.append((elapsed, sum(ms for ms, _s, _p in log.queries), log.queries))
    results.sort(key=lambda r: r[0])
    return [r[0] for r in results], sorted(r[1] for r in results), results[len(results) // 2][2]


def bare(sql, params, runs):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    times, _sql, _q = measure(run, runs)
    return times


def ensure_orders(lines):
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.demodata.sales import generate_at_scale
    from kehu.sales.models import Order

    if Order.objects.exists():
        return
    lines = lines or Customer.objects.count() * 5
    print(f"No orders yet: adding about {lines:,} order lines (set-based) …", flush=True)
    start = time.perf_counter()
    made = generate_at_scale(lines, progress=lambda n: print(f"  {n:,} lines", flush=True))
    print(
        f"  added {made['orders']:,} orders, {made['lines']:,} lines, {made['answers']:,} "
        f"answers, {made['feedback']:,} feedback for {made['customers']:,} customers in "
        f"{time.perf_counter() - start:.0f} s ({connection.vendor})",
        flush=True,
    )
    print(
        "  seconds: "
        + ", ".join(f"{step} {seconds:.1f}" for step, seconds in made["seconds"].items()),
        flush=True,
    )


def main():
    args = parse_args()
    configure(args)
    ensure_orders(args.lines)

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from kehu.accounts import access
    from kehu.accounts.models import Team, User
    from kehu.customers.models import Customer
    from kehu.sales import lifecycle, queries
    from kehu.sales.models import Order, OrderLine

    q = connection.ops.quote_name
    orders, customers = q(Order._meta.db_table), q(Customer._meta.db_table)
    pg = connection.vendor == "postgresql"

    def day(d):
        return d if pg else d.isoformat()

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if not pg else "SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM {orders}")
        n_orders = cursor.fetchone()[0]
        # the biggest buyer by orders (one scan of the customers, not timed)
        cursor.execute(
            f"SELECT id, owner_id, purchase_count FROM {customers} WHERE owner_id IS NOT NULL "
            "ORDER BY purchase_count DESC, id LIMIT 1"
        )
        buyer_id, owner_id, buyer_orders = cursor.fetchone()
    n_lines = OrderLine.objects.filter(order__customer_id=buyer_id).count()
    print(
        f"Purchases and lifecycle · {connection.vendor} {version} · "
        f"{connection.settings_dict['NAME']} · {Customer.objects.count():,} customers · "
        f"{n_orders:,} orders · {args.runs} runs per case"
    )
    header = (
        f"{'case':<44} {'ms':>8} {'p95':>8} {'queries':>7} {'in SQL':>8} {'bare SQL':>9} "
        f"{'ratio':>7}  goal"
    )
    print(header)
    print("-" * (len(header) + 12))
    missed = []

    def report(label, fn, sql, params, goal_ms=None):
        times, sql_ms, queries_ = measure(fn, args.runs)
        base = bare(sql, params, args.runs)
        med, base_med = statistics.median(times), statistics.median(base)
        verdict = ""
        if goal_ms:
            met = med < goal_ms
            verdict = f"< {goal_ms:,} ms {'met' if met else 'NOT MET'}"
            if not met:
                missed.append((label, med, queries_))
        print(
            f"{label:<44} {med:>8.1f} {percentile(times, 95):>8.1f} {len(queries_):>7} "
            f"{statistics.median(sql_ms):>8.1f} {base_med:>9.2f} "
            f"{med / max(base_med, 0.001):>6.1f}x  {verdict}",
            flush=True,
        )
        return med

    # 1. the customer page of the biggest buyer, as its owner
    owner = User.objects.get(pk=owner_id)
    buyer = Customer.objects.get(pk=buyer_id)
    client = Client()
    client.force_login(owner)

    def page():
        response = client.get(f"/customers/{buyer_id}/")
        assert response.status_code == 200, response.status_code

    def panel():
        queries.purchase_summary(owner, buyer)
        list(queries.orders_of(owner, buyer))
        queries.cross_sell(owner, buyer)
        list(queries.answers_of(owner, buyer))
        list(queries.feedback_of(owner, buyer))

    aggregate = (
        f"SELECT SUM(amount), COUNT(*), MIN(order_date), MAX(order_date) FROM {orders} "
        "WHERE customer_id = %s"
    )
    print(f"customer #{buyer_id}: {buyer_orders} orders, {n_lines} lines; owner {owner.username}")
    report("customer page (owner)", page, aggregate, [buyer_id], 100)
    _t, _s, page_queries = measure(page, 1)
    if not any("sales_" in sql for _ms, sql, _p in page_queries):
        print("  (the page reads no orders yet: the purchase panel's reads are timed below)")
    report("  purchase panel reads (kehu.sales.queries)", panel, aggregate, [buyer_id], 100)

    # 2. a year's company figures
    year = timezone.localdate().year - 1
    start, end = date(year, 1, 1), date(year, 12, 31)
    year_sql = f"SELECT SUM(amount), COUNT(*) FROM {orders} WHERE order_date BETWEEN %s AND %s"
    report(
        f"lifecycle figures {year} (company)",
        lambda: lifecycle.figures(lifecycle.Scope(), start, end),
        year_sql,
        [day(start), day(end)],
        1000,
    )
    scope = lifecycle.Scope()
    parts = [
        ("money", lambda: lifecycle.money_figures(scope, start, end)),
        ("new customers", lambda: lifecycle.new_customers(scope, start, end)),
        ("repurchase", lambda: lifecycle.repurchase(scope, start, end)),
        ("churn", lambda: lifecycle.churn(scope, start, end)),
        ("lifetime", lambda: lifecycle.lifetime_days(scope)),
        ("satisfaction", lambda: lifecycle.satisfaction(scope, start, end)),
    ]
    for name, fn in parts:
        times, _s, _q = measure(fn, max(1, args.runs // 2))
        print(f"  {name:<42} {statistics.median(times):>8.1f}")

    # 3. churn warnings: the demo manager, a leaf team of typical size in their subtree
    manager = User.objects.get(username="manager")
    subtree = access.team_subtree_ids(manager.team)
    sizes = {
        t: n
        for t, n in Customer.objects.filter(team_id__in=subtree)
        .values_list("team_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    leaves = [t for t in Team.objects.filter(pk__in=subtree, children__isnull=True)]
    leaves.sort(key=lambda t: sizes.get(t.pk, 0))
    team = leaves[len(leaves) // 2]
    today = timezone.localdate()
    cases = [
        ("churn warnings, leaf team (manager)", team),
        ("  the manager's whole subtree", manager.team),
    ]
    for label, t in cases:
        ids = access.team_subtree_ids(t)
        marks = ", ".join(["%s"] * len(ids))
        count_sql = (
            f"SELECT COUNT(*) FROM {customers} WHERE team_id IN ({marks}) AND purchase_due_on < %s"
        )
        warnings, at_risk = lifecycle.churn_warnings(manager, lifecycle.Scope(team=t))
        members = sum(sizes.get(i, 0) for i in ids)
        print(
            f"team {t.name} (#{t.pk}): {members:,} customers, {at_risk:,} at risk, "
            f"{len(warnings)} listed"
        )
        report(
            label,
            lambda t=t: lifecycle.churn_warnings(manager, lifecycle.Scope(team=t)),
            count_sql,
            [*ids, day(today)],
            500,
        )

    print(
        "\nms: the case's time (median, p95 of the runs); queries and in SQL: its statements and\n"
        "the time inside them (median run); bare SQL: the baseline's median; ratio: case / bare."
    )
    for label, med, queries_ in missed:
        print(f"\n{label.strip()}: {med:.0f} ms. Its slowest statements and their plans:")
        for ms, sql, params in sorted(queries_, key=lambda x: -x[0])[:4]:
            print(f"  {ms:8.1f} ms  {sql[:400]}{' …' if len(sql) > 400 else ''}")
            if sql.lstrip().upper().startswith("SELECT"):
                for line in explain(sql, params, args.analyze):
                    print(f"               {line}")


if __name__ == "__main__":
    main()
