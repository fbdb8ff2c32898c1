"""A small book with tiers, deals, orders, interactions and overdue follow-ups across the
teams of tests/conftest.py, for the dashboard and the pivot."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.followups import services as followup_services
from kehu.followups.models import FollowUp
from kehu.pipeline import services as pipeline_services
from kehu.pipeline.models import Stage
from tests.sales.conftest import buy, catalogue  # noqa: F401 - a fixture used here


@pytest.fixture(autouse=True)
def _empty_cache():
    # the dashboard keeps its figures in the cache; ids repeat from test to test
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(people, book):
    """Tiers: 张伟's A, 陈静's B, 赵磊's A and the shared one B, the manager's C, the
    director's none. Deals: 张伟 won 120,000 and has one open; 陈静 and 赵磊 one open each.
    Orders today: 张伟 100 and 250, 陈静 400, 赵磊 1,000. Interactions: 张伟 two, 赵磊 one.
    Overdue follow-ups: 张伟 one, 陈静 two (one customer), 赵磊 one."""
    tiers = {"rep": "A", "rep3": "B", "rep2": "A", "shared": "B", "manager": "C"}
    for key, tier in tiers.items():
        Customer.objects.filter(pk=book[key].pk).update(tier=tier)
    pipeline_services.ensure_default_stages()
    won = Stage.objects.get(kind=Stage.Kind.WON)
    d = pipeline_services.create_deal(
        people.rep, book["rep"], {"title": "ERP", "amount": "120000", "channel": people.channel}
    )
    pipeline_services.move_stage(people.rep, d, won)
    pipeline_services.create_deal(people.rep, book["rep"], {"title": "CRM", "amount": "5000"})
    pipeline_services.create_deal(people.rep3, book["rep3"], {"title": "OA", "amount": "8000"})
    pipeline_services.create_deal(
        people.rep2, book["rep2"], {"title": "MES", "amount": "30000", "channel": people.channel}
    )
    today = timezone.localdate()
    buy(people.rep, book["rep"], today, "100.00")
    buy(people.rep, book["rep"], today, "250.00")
    buy(people.rep3, book["rep3"], today, "400.00")
    buy(people.rep2, book["rep2"], today, "1000.00")
    for actor, customer in [
        (people.rep, book["rep"]),
        (people.rep, book["rep"]),
        (people.rep2, book["rep2"]),
    ]:
        followup_services.log_interaction(actor, customer, method="phone", content="回访")
    # overdue: planned for tomorrow, then moved back (the service refuses a past date)
    made = []
    for actor, customer in [
        (people.rep, book["rep"]),
        (people.rep3, book["rep3"]),
        (people.rep3, book["rep3"]),
        (people.rep2, book["rep2"]),
    ]:
        made.append(
            followup_services.plan_followup(
                actor, customer, due_on=today + timedelta(days=1), method="phone", content="催款"
            )
        )
    FollowUp.objects.filter(pk__in=[f.pk for f in made]).update(due_on=today - timedelta(days=3))
    followup_services.sync_next_followup([c.pk for c in book.values()])
    return {"today": today, "revenue": Decimal("1750.00")}
