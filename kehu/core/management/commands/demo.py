import time

from django.core.management.base import BaseCommand
from django.db import connection

from kehu.customers.models import Customer
from kehu.demodata import assignment as demo_assignment
from kehu.demodata import customers as demo
from kehu.demodata import followups as demo_followups
from kehu.demodata import incentives as demo_incentives
from kehu.demodata import pipeline as demo_pipeline
from kehu.demodata import planning as demo_planning
from kehu.demodata import quotas as demo_quotas
from kehu.demodata import sales as demo_sales
from kehu.demodata import targets as demo_targets
from kehu.demodata import tiers as demo_tiers
from kehu.tiering import services as tiering_services
from kehu.tiering.defaults import ensure_default_policy


class Command(BaseCommand):
    help = "Load realistic demo data: teams, the demo logins, customers with contacts and tags."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="how many customers to add")
        parser.add_argument(
            "--interactions",
            type=float,
            default=4.0,
            help="interactions per customer on average",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when there are customers already"
        )

    def handle(self, *args, **opts):
        if opts["if_empty"] and Customer.objects.exists():
            self.print_logins()
            return
        started = time.monotonic()

        def progress(done, total):
            if total >= 50_000 and (done % 100_000 == 0 or done == total):
                rate = done / max(time.monotonic() - started, 1e-9)
                self.stdout.write(f"  {done:,}/{total:,} customers ({rate:,.0f}/s)")

        def progress_rows(done):
            if done % 1_000_000 < 200_000 and done >= 1_000_000:
                self.stdout.write(f"  {done:,} interactions")

        made = demo.generate(opts["customers"], seed=opts["seed"], progress=progress)
        director = demo.ensure_people()["director"]
        policy = ensure_default_policy(director)
        interactions = demo_followups.history(
            opts["interactions"], seed=opts["seed"], progress=progress_rows
        )
        # fresh statistics after a bulk load: without them SQLite's planner sorts a manager's
        # 600,000-row subtree instead of walking the date index (1.6 s → 2 ms at a million)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit=0")
            cursor.execute("ANALYZE")
        drifted = demo_tiers.seed_tiers(policy)
        demo_tiers.seed_history()
        self.stdout.write(f"Tiers from {policy}; {drifted:,} customers' purchases changed since")
        planned = demo_followups.plans()
        self.stdout.write(
            f"Follow-ups: {interactions:,} interactions, {planned['planned']:,} planned, "
            f"{planned['escalated']:,} escalated, {planned['released']:,} released to the pool"
        )
        if opts["customers"] <= 10_000:
            self.stdout.write(f"Deals: {demo_pipeline.generate(seed=opts['seed']):,}")
        else:  # at scale: about three deals for every ten customers, written set-based
            deals = demo_pipeline.generate_at_scale(opts["customers"] * 3 // 10, opts["seed"])
            self.stdout.write(f"Deals: {deals:,}")
        if opts["customers"] <= 10_000:
            sales = demo_sales.generate(seed=opts["seed"])
        else:  # at scale: about five order lines for every customer, written set-based
            sales = demo_sales.generate_at_scale(
                opts["customers"] * 5,
                opts["seed"],
                progress=lambda n: self.stdout.write(f"  {n:,} order lines"),
            )
        self.stdout.write(
            f"Purchases: {sales['orders']:,} orders ({sales['lines']:,} lines) for "
            f"{sales['customers']:,} customers, {sales['answers']:,} survey answers, "
            f"{sales['feedback']:,} feedback items"
        )
        # this year's plans from last year's actuals (per rep only in a small demo)
        plans = demo_planning.generate(director, reps=opts["customers"] <= 10_000)
        self.stdout.write(f"Annual plans: {plans:,}")
        # this year's targets, split by quarter and down the team tree to people
        self.stdout.write(f"Targets: {demo_targets.generate(director):,}")
        self.stdout.write(f"Commission plans: {demo_incentives.generate(director)}")
        if opts["customers"] <= 10_000:  # 华东大区's assignment rule, a few new leads waiting
            leads = demo_assignment.generate(director)["leads"]
            self.stdout.write(f"Lead assignment: one rule switched on, {leads} new leads waiting")
        # service quotas by tier; uses only in a small demo
        quotas = demo_quotas.generate(director, usages=opts["customers"] <= 10_000)
        self.stdout.write(f"Service quotas: {quotas['quotas']}, {quotas['usages']:,} uses")
        # and again now that follow-ups and deals are in: without statistics PostgreSQL plans a
        # manager's My day as if the follow-ups table were empty (2.4 s instead of ~0.2 s)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if opts["customers"] <= 10_000:  # a small demo comes with proposals waiting for review
            run = tiering_services.run_now(director, policy)
            self.stdout.write(
                f"Re-tiered with {policy}: {run.proposals} changes proposed for review"
            )
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Demo data: {made['customers']:,} customers, {made['contacts']:,} contacts, "
            f"{made['tags']:,} tags in {elapsed:.1f}s"
        )
        self.print_logins()

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, name, role, team in demo.PEOPLE:
            self.stdout.write(
                f"  {username:<9} {name} · {role.label}{' · ' + team if team else ''}"
            )
