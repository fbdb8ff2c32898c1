"""Demo commission plan (销售提成方案): won amount per quarter, nothing under 80% of target, 3%
from 80%, 5% from 100%, on the whole actual; the rate ×1.2 above target; at most 50,000 元 a
quarter per person. Through the service, as a director would set it up."""

from kehu.incentives import services
from kehu.incentives.models import CommissionPlan

NAME = "销售提成方案"
BANDS = [
    {"from_percent": "0", "rate": "0"},
    {"from_percent": "80", "rate": "3"},
    {"from_percent": "100", "rate": "5"},
]


def generate(director) -> int:
    """The demo plan unless it exists; returns how many plans were made."""
    if CommissionPlan.objects.filter(name=NAME).exists():
        return 0
    services.save_plan(
        director,
        {
            "name": NAME,
            "metric": "won_amount",
            "period": "quarter",
            "mode": "whole",
            "accelerator": "1.2",
            "cap_amount": "50000",
            "team": None,
            "active": True,
        },
        BANDS,
    )
    return 1
