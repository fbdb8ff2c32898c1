"""What the customer page shows of service quotas (one call from customers.views)."""

from . import queries
from .forms import UsageForm


def customer_panels(actor, customer) -> dict:
    return {
        "quota_standing": queries.allowances_for(customer),
        "quota_usages": queries.usages_of(customer, limit=8),
        "quota_form": UsageForm(),
    }
