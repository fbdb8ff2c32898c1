"""The three quotas of the product brief, defined by the director as a company would:

技术支持工时 hours a month      A 20 · B 8 · C 2   over-use: manager's approval
折扣上限     % per use (ceiling) A 15 · B 10 · C 5  over-use: refused
免费样品     pieces a quarter   A 10 · B 4 · C 0   over-use: manager's approval
"""

from datetime import date

import pytest

from kehu.quotas import services


@pytest.fixture
def quotas(people):
    make = services.save_quota
    d = people.director
    return {
        "hours": make(
            d,
            {
                "name": "技术支持工时",
                "unit": "hours",
                "kind": "allowance",
                "period": "month",
                "over_use": "approval",
                "allowance_A": "20",
                "allowance_B": "8",
                "allowance_C": "2",
            },
        ),
        "discount": make(
            d,
            {
                "name": "折扣上限",
                "unit": "%",
                "kind": "ceiling",
                "period": "none",
                "over_use": "refuse",
                "allowance_A": "15",
                "allowance_B": "10",
                "allowance_C": "5",
            },
        ),
        "samples": make(
            d,
            {
                "name": "免费样品",
                "unit": "pieces",
                "kind": "allowance",
                "period": "quarter",
                "over_use": "approval",
                "allowance_A": "10",
                "allowance_B": "4",
                "allowance_C": "0",
            },
        ),
    }


@pytest.fixture
def refusing_hours(people, quotas):
    """技术支持工时, changed to refuse over-use."""
    q = quotas["hours"]
    return services.save_quota(
        people.director,
        {
            "name": q.name,
            "unit": q.unit,
            "kind": q.kind,
            "period": q.period,
            "over_use": "refuse",
            "allowance_A": "20",
            "allowance_B": "8",
            "allowance_C": "2",
        },
        q,
        version=q.version,
    )


MARCH = date(2026, 3, 10)
