from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

register = template.Library()


def _date(value):
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def _money(value, unit=""):
    """Amounts are stored in 元; sheets often show 万元 (10,000 元)."""
    if value is None:
        return ""
    if unit == "wan":
        return intcomma(f"{value / 10000:.2f}")
    return intcomma(f"{value:.2f}")


@register.simple_tag
def cell(customer, key, unit=""):
    """One cell of the customer list, as the sheet would show it."""
    if key == "name":
        return format_html(
            '<a href="{}" class="fw-semibold">{}</a>',
            reverse("customers:detail", args=[customer.pk]),
            customer.name,
        )
    if key == "tier":
        if not customer.tier:
            return ""
        return format_html('<span class="badge tier-badge tier-{0}">{0}</span>', customer.tier)
    if key == "status":
        return customer.get_status_display()
    if key in ("industry", "channel", "owner", "team"):
        return str(getattr(customer, key) or "")
    if key == "region":
        return " ".join(p for p in (customer.province, customer.city) if p)
    if key in ("contact", "phone"):
        contacts = getattr(customer, "primary_contacts", [])
        if not contacts:
            return ""
        c = contacts[0]
        return c.phone if key == "phone" else str(c)
    if key == "tags":
        return format_html_join(
            " ",
            '<span class="badge text-bg-{}">{}</span>',
            ((t.color, t.name) for t in customer.tags.all()),
        )
    if key in ("last_purchase_on", "first_purchase_on"):
        value = getattr(customer, key)
        return value.isoformat() if value else ""
    if key in ("cooperation_amount", "annual_budget", "purchase_total"):
        return _money(getattr(customer, key), unit)
    if key in ("last_contact_at", "next_followup_at", "created_at", "updated_at"):
        value = getattr(customer, key)
        if key == "next_followup_at" and value and value < timezone.now():
            return format_html('<span class="text-danger fw-semibold">{}</span>', _date(value))
        return _date(value)
    value = getattr(customer, key, "")
    return "" if value is None else value


@register.simple_tag
def money(value):
    return _money(value)


@register.simple_tag
def field_display(obj, name):
    """A model field's value as a person reads it (choice labels, names, formatted money)."""
    from kehu.core.audit import display_value

    return display_value(obj, obj._meta.get_field(name))


def _options(queryset, selected=None, empty_label="---------"):
    """<option>s for a model choice, rendered in Python: Django's widget templates take ~25 µs
    an option, which is most of a list page when there are hundreds of salespeople."""
    selected = str(selected) if selected not in (None, "") else None
    # every choice model here has a name; users fall back to their username (User.__str__)
    has_username = any(f.name == "username" for f in queryset.model._meta.fields)
    rows = queryset.values_list("pk", "name", "username" if has_username else "name")
    head = format_html('<option value="">{}</option>', empty_label)
    return head + format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, " selected" if str(pk) == selected else "", name or alt) for pk, name, alt in rows),
    )


@register.simple_tag
def select_field(bound_field, css="form-select form-select-sm"):
    """A fast <select> for a ModelChoiceField of a filter form."""
    return format_html(
        '<select name="{}" id="{}" class="{}">{}</select>',
        bound_field.html_name,
        bound_field.auto_id,
        css,
        _options(bound_field.field.queryset, bound_field.value()),
    )


@register.simple_tag
def options(queryset, empty_label):
    return _options(queryset, None, empty_label)
