"""Shared tiering data: three customers of two reps with amounts far apart, and a published
score-based policy over purchase amount, budget and a manual rating."""

import pytest

from kehu.tiering import services
from kehu.tiering.models import CustomerRating

CRITERIA = [
    {"metric": "purchase_amount", "weight": 60, "normalisation": "minmax"},
    {"metric": "potential_revenue", "weight": 30, "normalisation": "percentile"},
    {"metric": "industry_growth", "weight": 10, "normalisation": "minmax", "low": 1, "high": 5},
]
BY_SCORE = [{"label": "A", "value": 70}, {"label": "B", "value": 40}, {"label": "C", "value": 0}]


@pytest.fixture
def book(people):
    big = people.customer(
        people.rep,
        "杭州云帆科技有限公司",
        cooperation_amount="900000",
        annual_budget="800000",
        tier="C",
    )
    mid = people.customer(
        people.rep,
        "宁波海纳贸易有限公司",
        cooperation_amount="400000",
        annual_budget="300000",
        tier="B",
    )
    small = people.customer(
        people.rep2,
        "北京星辰网络科技有限公司",
        cooperation_amount="10000",
        annual_budget="50000",
        tier="C",
    )
    CustomerRating.objects.create(customer=big, metric="industry_growth", value=5)
    return big, mid, small


@pytest.fixture
def policy(people):
    p = services.create_policy(people.director, "默认客户分级", CRITERIA, BY_SCORE, "score")
    return services.publish_policy(people.director, p)
