"""What the customer page shows of purchases, satisfaction and feedback (one call from
customers.views, so that page stays one view)."""

from django.utils import timezone

from . import queries
from .forms import AnswerForm
from .models import SurveyAnswer


def customer_panels(actor, customer) -> dict:
    summary = queries.purchase_summary(actor, customer)
    return {
        "purchases": summary,
        "purchase_chart": {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 10, "top": 10, "bottom": 25},
            "xAxis": {"type": "category", "data": [m for m, _a in summary.months]},
            "yAxis": {"type": "value"},
            "series": [{"type": "bar", "data": [float(a) for _m, a in summary.months]}],
        },
        "orders": queries.orders_of(actor, customer, limit=10),
        "cross_sell": queries.cross_sell(actor, customer),
        "answers": queries.answers_of(actor, customer, limit=10),
        "answer_form": AnswerForm(customer=customer, initial={"kind": SurveyAnswer.Kind.CSAT}),
        "feedback_items": queries.feedback_of(actor, customer, limit=10),
        "today": timezone.localdate(),
    }
