"""Leads waiting in a team's queue: no owner, not in the pool, status lead, the team set."""

import pytest

from kehu.assignment import services
from kehu.customers.models import Customer


def queue(team, n: int, tier: str = "", prefix: str = "线索") -> list[Customer]:
    """`n` waiting leads on `team`, written as a data load would (no post_save)."""
    made = Customer.objects.bulk_create(
        Customer(name=f"{prefix}{team.pk}-{tier or 'x'}-{i:03d}", tier=tier, team=team)
        for i in range(n)
    )
    return list(Customer.objects.filter(pk__in=[c.pk for c in made]).order_by("pk"))


@pytest.fixture
def east_rule(people):
    """华东大区's rule, switched on: its reps are 张伟 (rep, 杭州组) and 陈静 (rep3, 上海组)."""
    return services.save_rule(people.manager, people.east, {"active": True}, [])
