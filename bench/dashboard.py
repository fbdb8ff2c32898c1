"""The home dashboard at a million customers: the director's (the company), a manager's (the
demo manager's region) and a rep's (the biggest book), rendered through Django's test client,
cold (cache cleared before each run: every figure computed) and warm (figures from the cache),
against a bare SQL baseline measured in the same run (one COUNT(*) of the customers).

Uses the million-customer database of bench/README.md with the orders of bench/sales.py:

    .venv/bin/python bench/dashboard.py [--runs 5] [--period year]
    .venv/bin/python bench/dashboard.py --sqlite-path var/bench.sqlite3
    .venv/bin/python bench/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Goal: the director's dashboard under 1 s server time on PostgreSQL. A cold case that misses it
prints its slowest statements.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sales import QueryLog, bare, configure, parse_args, percentile  # noqa: E402


def main():
    parser_args = sys.argv[1:]
    period = "year"
    if "--period" in parser_args:
        i = parser_args.index("--period")
        period = parser_args[i + 1]
        del sys.argv[i + 1 : i + 3]
    args = parse_args()
    configure(args)

    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from kehu.accounts.models import User
    from kehu.customers.models import Customer

    q = connection.ops.quote_name
    customers = q(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        version = cursor.fetchone()[0]
    director = User.objects.filter(role=User.Role.DIRECTOR, is_active=True).order_by("pk").first()
    manager = User.objects.get(username="manager")
    top = (
        Customer.objects.filter(owner__role=User.Role.REP)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    rep = User.objects.get(pk=top["owner_id"])
    print(
        f"Dashboard · {connection.vendor} {version} · {connection.settings_dict['NAME']} · "
        f"{Customer.objects.count():,} customers · period {period} · {args.runs} runs per case"
    )
    header = f"{'case':<34} {'ms':>8} {'p95':>8} {'queries':>7} {'in SQL':>8} {'bare SQL':>9}  goal"
    print(header)
    print("-" * (len(header) + 14))
    base = statistics.median(bare(f"SELECT COUNT(*) FROM {customers}", [], args.runs))
    slow = []

    for label, user in (
        ("director (company)", director),
        (f"manager ({manager.team})", manager),
        (f"rep {rep.username} ({top['n']:,} customers)", rep),
    ):
        client = Client()
        client.force_login(user)
        url = f"/reports/?period={period}"
        for state in ("cold", "warm"):
            runs = []
            for i in range(args.runs + 1):
                if state == "cold":
                    cache.clear()
                log = QueryLog()
                with connection.execute_wrapper(log):
                    start = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.status_code
                if i:  # the first run warms templates and the database's pages
                    runs.append((elapsed, sum(ms for ms, _s, _p in log.queries), log.queries))
            runs.sort(key=lambda r: r[0])
            times = [r[0] for r in runs]
            med = statistics.median(times)
            mid = runs[len(runs) // 2]
            goal = ""
            if user == director and state == "cold":
                goal = f"< 1,000 ms {'met' if med < 1000 else 'NOT MET'}"
                if med >= 1000:
                    slow.append((label, mid[2]))
            print(
                f"{label + ' ' + state:<34} {med:>8.1f} {percentile(times, 95):>8.1f} "
                f"{len(mid[2]):>7} {statistics.median(sorted(r[1] for r in runs)):>8.1f} "
                f"{base:>9.1f}  {goal}",
                flush=True,
            )
            if state == "cold":
                for ms, sql, _p in sorted(mid[2], key=lambda x: -x[0])[:5]:
                    print(f"    {ms:8.1f} ms  {' '.join(sql.split())[:150]}")
    print(
        "\nms: server time of the page (median, p95); queries and in SQL: its statements and the\n"
        "time inside them (median run); bare SQL: a COUNT(*) of the customers. Cold: the cache\n"
        "cleared before each run; warm: the figures read from it."
    )


if __name__ == "__main__":
    main()
