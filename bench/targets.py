"""Targets at scale: attainment and forecast for every rep of a 500-rep company, over the
deals and orders of the million-customer database (bench/README.md; bench/sales.py adds the
orders), against the bare GROUP BY in the same run. Goal: under 1 s for all reps.

    .venv/bin/python bench/targets.py [--runs 10]
    .venv/bin/python bench/targets.py --sqlite-path var/bench.sqlite3
    .venv/bin/python bench/targets.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Before timing (not timed): brings the salespeople to 500 (kehu.demodata.customers'
ensure_scale_reps; the extra ones own nothing), and gives each a target for this quarter and
this year for every metric, with the company's on top (set-based).

Cases (median and p95 of --runs; statements and the time inside them):
- the attainment board as the director: queries.board (every target of the metric and period:
  the company, the teams and 500 reps) for won amount (with the pipeline-weighted forecast),
  new customers and collections, this quarter and this year.
Baseline: the bare SQL of the actuals alone — one GROUP BY owner over the metric's table for
the period (and for won amount, the open-pipeline GROUP BY too).
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sales import bare, configure, measure, parse_args, percentile  # noqa: E402

REPS = 500


def ensure_targets():
    from django.db import transaction
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.demodata.customers import ensure_scale_reps
    from kehu.targets import periods
    from kehu.targets.models import Target

    people = User.objects.filter(is_active=True, role__in=("rep", "manager"))
    missing = REPS - people.count()
    if missing > 0:
        ensure_scale_reps(User.objects.filter(username__startswith="rep_s").count() + missing)
    today = timezone.localdate()
    made = 0
    with transaction.atomic():
        for kind in ("quarter", "year"):
            start = periods.start_of(kind, today)
            for metric, per_rep in (
                ("won_amount", 600_000),
                ("new_customers", 20),
                ("collections", 500_000),
            ):
                per_rep = per_rep * (4 if kind == "year" else 1)
                have = set(
                    Target.objects.filter(metric=metric, period=kind, start=start).values_list(
                        "user_id", flat=True
                    )
                )
                if None not in have:
                    Target.objects.create(
                        metric=metric, period=kind, start=start, amount=per_rep * REPS
                    )
                rows = [
                    Target(metric=metric, period=kind, start=start, user_id=pk, amount=per_rep)
                    for pk in people.values_list("pk", flat=True)
                    if pk not in have
                ]
                Target.objects.bulk_create(rows, batch_size=1000)
                made += len(rows)
    return people.count(), made


def main():
    args = parse_args()
    configure(args)

    from django.db import connection
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.pipeline.models import Deal, Stage
    from kehu.sales.models import Order, OrderLine
    from kehu.targets import metrics, periods, queries

    reps, made = ensure_targets()
    q = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    director = User.objects.get(username="director")
    today = timezone.localdate()
    print(
        f"Targets · {connection.vendor} · {connection.settings_dict['NAME']} · "
        f"{Customer.objects.count():,} customers · {Deal.objects.count():,} deals · "
        f"{Order.objects.count():,} orders · {OrderLine.objects.count():,} order lines · "
        f"{reps} salespeople ({made} targets added) · {args.runs} runs per case"
    )
    header = (
        f"{'case':<40} {'ms':>8} {'p95':>8} {'rows':>5} {'queries':>7} {'in SQL':>8} "
        f"{'bare SQL':>9} {'ratio':>7}  goal"
    )
    print(header)
    print("-" * (len(header) + 12))
    deals, orders, customers, stages = (
        q(Deal._meta.db_table),
        q(Order._meta.db_table),
        q(Customer._meta.db_table),
        q(Stage._meta.db_table),
    )

    def day(d):
        return d if pg else d.isoformat()

    missed = []
    for kind in ("quarter", "year"):
        start = periods.start_of(kind, today)
        end = periods.end(kind, start)
        until = min(end, today)
        low, high = metrics._bounds(start, until)
        bases = {
            "won_amount": (
                f"SELECT d.owner_id, SUM(d.amount) FROM {deals} d JOIN {stages} s "
                "ON s.id = d.stage_id WHERE s.kind = 'won' AND d.closed_at BETWEEN %s AND %s "
                "GROUP BY d.owner_id",
                [
                    connection.ops.adapt_datetimefield_value(low),
                    connection.ops.adapt_datetimefield_value(high),
                ],
                f"SELECT d.owner_id, SUM(d.amount * d.probability) FROM {deals} d "
                f"JOIN {stages} s ON s.id = d.stage_id WHERE s.kind = 'open' "
                "AND d.expected_close <= %s GROUP BY d.owner_id",
                [day(end)],
            ),
            "new_customers": (
                f"SELECT owner_id, COUNT(*) FROM {customers} "
                "WHERE first_purchase_on BETWEEN %s AND %s GROUP BY owner_id",
                [day(start), day(until)],
            ),
            "collections": (
                f"SELECT owner_id, SUM(collected_amount) FROM {orders} "
                "WHERE collected_on BETWEEN %s AND %s GROUP BY owner_id",
                [day(start), day(until)],
            ),
        }
        for metric, base in bases.items():
            label = f"board {metric} {periods.label(kind, start)}"
            rows = queries.board(director, metric, kind, start)
            times, sql_ms, queries_ = measure(
                lambda m=metric, k=kind, s=start: queries.board(director, m, k, s), args.runs
            )
            base_times = bare(base[0], base[1], args.runs)
            if len(base) > 2:
                extra = bare(base[2], base[3], args.runs)
                base_times = [a + b for a, b in zip(sorted(base_times), sorted(extra), strict=True)]
            med, base_med = statistics.median(times), statistics.median(base_times)
            met = med < 1000
            if not met:
                missed.append((label, med, queries_))
            print(
                f"{label:<40} {med:>8.1f} {percentile(times, 95):>8.1f} {len(rows):>5} "
                f"{len(queries_):>7} {statistics.median(sql_ms):>8.1f} {base_med:>9.1f} "
                f"{med / max(base_med, 0.001):>6.1f}x  < 1,000 ms {'met' if met else 'NOT MET'}",
                flush=True,
            )
    print(
        "\nms: the board's time (median, p95); rows: targets shown (company, teams, people);\n"
        "queries and in SQL: its statements and the time inside them (median run); bare SQL:\n"
        "the actuals' GROUP BY alone (plus the pipeline's for won amount); ratio: case / bare."
    )
    for label, med, queries_ in missed:
        print(f"\n{label}: {med:.0f} ms. Its slowest statements:")
        for ms, sql, _params in sorted(queries_, key=lambda x: -x[0])[:4]:
            print(f"  {ms:8.1f} ms  {sql[:300]}")


if __name__ == "__main__":
    main()
