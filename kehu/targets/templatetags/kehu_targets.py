from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def figure(value, target):
    """An amount of the target's metric: whole customers, or 元 to the cent, grouped."""
    if value is None:
        return "—"
    if target.whole_units:
        return intcomma(int(value))
    return intcomma(f"{value:.2f}")
