"""Follow-ups at scale: My day for a rep and a manager, planning everyone's next follow-ups,
and the nightly pool recycling — each against a baseline measured in the same run.

Build the database once (1,000,000 customers, about 10,000,000 interactions):

    export KEHU_SQLITE_PATH=var/bench.sqlite3      # or DATABASE_URL=postgres://…/kehu_bench
    .venv/bin/kehu migrate && .venv/bin/kehu demo --customers 1000000 --interactions 10

then:

    .venv/bin/python bench/followups.py [--runs 20] [--nightly]

My day is rendered through Django's test client (middleware, session, access rules, template)
and compared with the bare SQL of its largest section. `--nightly` also runs a night's
planning (after marking a seventh of the open cadence follow-ups done, as a day's work would;
`--from-scratch`: all of them, so every customer is planned again) and the pool recycler,
comparing each with the bare read it starts from. It changes the database.
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

from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()  # so the test client records the template context

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402

# keep one connection across requests, as the test runner does, so queries can be counted
request_started.disconnect(close_old_connections)
request_finished.disconnect(close_old_connections)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.followups import pool, services  # noqa: E402
from kehu.followups.models import FollowUp, Interaction  # noqa: E402

FROM_SCRATCH = False


def timed(fn, runs=1):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, times


def ms(times):
    return statistics.median(times) * 1000


def my_day(runs):
    table = connection.ops.quote_name(FollowUp._meta.db_table)
    for username, scope in (("rep", "me"), ("manager", "team"), ("director", "team")):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        url = f"/followups/today/?scope={scope}"
        client.get(url)  # warm
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200
        _, page = timed(lambda url=url, client=client: client.get(url), runs)
        today = timezone.localdate()

        def bare(user=user, today=today):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, customer_id, due_on FROM {table} WHERE owner_id = %s "
                    f"AND status IN ('todo', 'doing') AND due_on < %s ORDER BY due_on, id "
                    f"LIMIT 100",
                    [user.pk, today],
                )
                return cursor.fetchall()

        _, base = timed(bare, runs)
        counts = response.context["counts"]
        print(
            f"  My day {username:<8} ({scope:<4}) {ms(page):8.1f} ms  {len(queries):3} queries  "
            f"overdue {counts['overdue']:>7,} today {counts['today']:>6,}  "
            f"bare overdue SQL {ms(base):6.2f} ms"
        )


def nightly():
    # a night's work: a seventh of the open cadence follow-ups were done during the day (or,
    # with --from-scratch, all of them: the first planning of a new install)
    open_cadence = FollowUp.objects.filter(status__in=FollowUp.OPEN, origin="cadence")
    if not FROM_SCRATCH:
        open_cadence = open_cadence.extra(where=["id %% 7 = 0"])
    open_cadence.update(status="done")
    epoch = "unixepoch({})" if connection.vendor == "sqlite" else "EXTRACT(EPOCH FROM {})::float8"

    def bare_read():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, owner_id, team_id, {epoch.format('last_contact_at')} "
                "FROM customers_customer WHERE owner_id IS NOT NULL AND pooled_at IS NULL"
            )
            return len(cursor.fetchall())

    read, base = timed(bare_read)
    planned, plan = timed(services.plan_all)
    print(
        f"  plan everyone             {plan[0]:8.1f} s   {planned:,} follow-ups planned "
        f"(bare read of the {read:,} candidates {base[0]:.1f} s, ratio {plan[0] / base[0]:.1f}x)"
    )
    released, recycle = timed(pool.recycle)
    print(
        f"  recycle the pool          {recycle[0]:8.1f} s   {released:,} released "
        f"(bare read {base[0]:.1f} s, ratio {recycle[0] / base[0]:.1f}x)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--nightly", action="store_true")
    parser.add_argument("--from-scratch", action="store_true", help="re-plan every customer")
    args = parser.parse_args()
    global FROM_SCRATCH
    FROM_SCRATCH = args.from_scratch
    customers = connection.cursor()
    customers.execute("SELECT count(*) FROM customers_customer")
    total = customers.fetchone()[0]
    print(
        f"Follow-ups benchmark · {connection.vendor} · {total:,} customers · "
        f"{Interaction.objects.count():,} interactions · "
        f"{FollowUp.objects.filter(status__in=FollowUp.OPEN).count():,} open follow-ups"
    )
    my_day(args.runs)
    if args.nightly:
        nightly()


if __name__ == "__main__":
    main()
