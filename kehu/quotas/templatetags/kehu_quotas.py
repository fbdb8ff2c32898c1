from django import template

from kehu.quotas.services import fmt

register = template.Library()


@register.filter
def amount(value) -> str:
    """A quota amount as people write it: 20, 7.5, 1,200 (no trailing zeros); blank for None."""
    return "" if value is None else fmt(value)
