"""Scoring a million customers: the read, the maths, and a plain-NumPy baseline in the same run.

Uses the database built for customer_list.py (see bench/README.md), then:

    .venv/bin/python bench/tiering.py

It creates (once) a draft policy named "bench", scores every customer with it through
kehu.tiering.services.evaluate (one read of the columns + the vectorised maths), and compares
with the same arithmetic on arrays already in memory. It proposes nothing and changes nothing
else in the database.

    .venv/bin/python bench/tiering.py --run

also times a whole re-tiering job (services.execute_run with the published policy): the read
and maths, writing every score back (compared with one bare `UPDATE … SET score = score` over
all rows, the floor for touching every row), and inserting the proposals. The proposals it
makes are deleted afterwards, the scores stay.
"""

import os
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
from kehu.tiering import metrics, scoring, services  # noqa: E402
from kehu.tiering.models import TierPolicy  # noqa: E402

CRITERIA = [
    {"metric": "purchase_amount", "weight": 40, "normalisation": "percentile"},
    {"metric": "potential_revenue", "weight": 25, "normalisation": "minmax"},
    {
        "metric": "recency_days",
        "weight": 15,
        "normalisation": "thresholds",
        "higher_is_better": False,
        "thresholds": [[30, 0.5], [180, 1.0]],
    },
    {"metric": "loyalty_years", "weight": 10, "normalisation": "minmax"},
    {"metric": "satisfaction", "weight": 10, "normalisation": "minmax", "low": 1, "high": 5},
]
TIERS = [{"label": "A", "value": 0.2}, {"label": "B", "value": 0.3}, {"label": "C", "value": 0.5}]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main():
    director = User.objects.get(username="director")
    policy = TierPolicy.objects.filter(name="bench").first() or services.create_policy(
        director, "bench", CRITERIA, TIERS, "share"
    )
    pure = services.spec(policy)
    cols, t_read = timed(metrics.read_columns)
    raw, t_raw = timed(lambda: metrics.raw_values(cols, [c.metric for c in pure.criteria]))

    def maths():
        normalised = scoring.normalised_matrix(raw, pure)
        score = scoring.scores(normalised, pure)
        return scoring.assign(score, cols.ids, pure)

    tiers, t_maths = timed(maths)

    # baseline: the same arithmetic written directly in NumPy on the same arrays
    import numpy as np

    def baseline():
        out = np.zeros(len(cols.ids))
        for c in pure.criteria:
            x = np.nan_to_num(raw[c.metric], nan=0.0)
            if c.normalisation == "percentile":
                n = np.argsort(np.argsort(x, kind="stable"), kind="stable") / max(len(x) - 1, 1)
            elif c.normalisation == "thresholds":
                cuts = np.array([t for t, _ in c.thresholds])
                pts = np.r_[0.0, [v for _, v in c.thresholds]]
                n = pts[np.searchsorted(cuts, x, side="right")]
            else:
                lo = x.min() if c.low is None else c.low
                hi = x.max() if c.high is None else c.high
                n = np.clip((x - lo) / (hi - lo), 0, 1)
            out += c.weight * (n if c.higher_is_better else 1 - n)
        order = np.lexsort((cols.ids, -out))
        return order

    _, t_base = timed(baseline)
    n = len(cols.ids)
    print(f"Tiering benchmark · {connection.vendor} · {n:,} customers")
    print(f"  read columns (one query)     {t_read:8.2f} s")
    print(f"  raw metric values            {t_raw:8.2f} s")
    print(f"  normalise + score + assign   {t_maths:8.2f} s")
    print(
        f"  plain NumPy baseline         {t_base:8.2f} s   (maths / baseline = {t_maths / t_base:.1f}x)"
    )
    labels, counts = np.unique(tiers.astype(str), return_counts=True)
    print("  distribution:", dict(zip(labels.tolist(), counts.tolist(), strict=True)))


def full_run():
    import numpy as np  # noqa: F401

    from kehu.core import bulk
    from kehu.customers.models import Customer
    from kehu.tiering.defaults import ensure_default_policy
    from kehu.tiering.models import TierProposal, TierRun

    director = User.objects.get(username="director")
    policy = ensure_default_policy(director)
    spent = {"write scores": 0.0, "insert proposals": 0.0}

    def clock(name, fn):
        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapped

    bulk.update_from = clock("write scores", bulk.update_from)
    services._insert_proposals = clock("insert proposals", services._insert_proposals)
    TierRun.objects.filter(active=True).update(active=None, status="failed")
    run = services.start_run(director, policy, enqueue=False)
    run, t_run = timed(lambda: services.execute_run(run.pk))
    table = connection.ops.quote_name(Customer._meta.db_table)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET score = score")

    _, t_floor = timed(floor)
    print(f"Re-tiering job · {connection.vendor} · {run.customers:,} customers · {run.status}")
    print(f"  whole job                    {t_run:8.2f} s")
    print(
        f"  write every score back       {spent['write scores']:8.2f} s   "
        f"(bare UPDATE of every row {t_floor:.2f} s, ratio {spent['write scores'] / t_floor:.1f}x)"
    )
    rate = run.proposals / max(spent["insert proposals"], 1e-9)
    print(
        f"  insert {run.proposals:,} proposals  {spent['insert proposals']:8.2f} s   "
        f"({rate:,.0f} rows/s)"
    )
    TierProposal.objects.filter(run=run).delete()


if __name__ == "__main__":
    main()
    if "--run" in sys.argv:
        full_run()
