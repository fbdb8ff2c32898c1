"""Flow analytics at scale: the funnel, channel conversion and time-in-stage reports for the
whole company (a director), against the bare SQL aggregate of each in the same run.

Uses the million-customer database of bench/README.md; the first run adds 300,000 deals with
their stage history (set-based, kehu.demodata.pipeline.generate_at_scale) if it has none:

    .venv/bin/python bench/pipeline.py [--runs 10] [--deals 300000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("KEHU_SQLITE_PATH", "var/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.demodata.pipeline import generate_at_scale  # noqa: E402
from kehu.pipeline import analytics  # noqa: E402
from kehu.pipeline.models import Deal, StageChange  # noqa: E402


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bare(sql):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--deals", type=int, default=300_000)
    args = parser.parse_args()
    if not Deal.objects.exists():
        start = time.perf_counter()
        generate_at_scale(args.deals)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"  added {args.deals:,} deals in {time.perf_counter() - start:.0f} s")
    director = User.objects.get(username="director")
    print(
        f"Flow analytics benchmark · {connection.vendor} · {Deal.objects.count():,} deals · "
        f"{StageChange.objects.count():,} stage changes"
    )

    def rows():
        return analytics.deals(director, analytics.Filters())

    days = (
        "julianday(next_at) - julianday(at)"
        if connection.vendor == "sqlite"
        else "EXTRACT(EPOCH FROM (next_at - at)) / 86400.0"
    )
    won = "(SELECT id FROM pipeline_stage WHERE kind = 'won')"
    # (report, our function, the bare SQL aggregate of the same figures over the rollups the
    # app keeps, the same figures computed from the raw stage history for reference)
    cases = [
        (
            "funnel",
            lambda: analytics.funnel(rows()),
            "SELECT furthest, COUNT(*), SUM(amount) FROM pipeline_deal GROUP BY furthest",
            "SELECT top, COUNT(*), SUM(amount) FROM (SELECT c.deal_id, MAX(s.position) AS top "
            "FROM pipeline_stagechange c JOIN pipeline_stage s ON s.id = c.to_stage_id "
            "WHERE s.kind IN ('open', 'won') GROUP BY c.deal_id) f "
            "JOIN pipeline_deal d ON d.id = f.deal_id GROUP BY top",
        ),
        (
            "channel conversion",
            lambda: analytics.by_channel(rows()),
            f"SELECT channel_id, COUNT(*), SUM(CASE WHEN stage_id IN {won} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN stage_id IN {won} THEN amount END) FROM pipeline_deal "
            "GROUP BY channel_id",
            None,
        ),
        (
            "time in stage",
            lambda: analytics.time_in_stage(rows()),
            "SELECT to_stage_id, COUNT(*), AVG(days) FROM pipeline_stagechange "
            "WHERE days IS NOT NULL GROUP BY to_stage_id",
            f"SELECT to_stage_id, COUNT(*), AVG({days}) FROM (SELECT to_stage_id, at, "
            "LEAD(at) OVER (PARTITION BY deal_id ORDER BY at, id) AS next_at "
            "FROM pipeline_stagechange) s WHERE next_at IS NOT NULL GROUP BY to_stage_id",
        ),
    ]
    for name, report, sql, history in cases:
        report()
        ours = timed(report, args.runs)
        base = timed(bare(sql), args.runs)
        line = f"  {name:<20} {ours:8.1f} ms   bare SQL aggregate {base:8.1f} ms   ratio {ours / base:.2f}x"
        if history:
            line += (
                f"   (from the raw history: {timed(bare(history), max(1, args.runs // 3)):.0f} ms)"
            )
        print(line)


if __name__ == "__main__":
    main()
