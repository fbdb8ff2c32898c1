"""Writing the audit log. Services call these inside their transaction so that a change and its
audit row commit or roll back together."""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent


def display_value(instance, field: models.Field) -> str:
    """A field's value as a person reads it: choices by label, foreign keys by name."""
    if field.many_to_many:
        return ", ".join(sorted(str(o) for o in getattr(instance, field.name).all()))
    value = getattr(instance, field.name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(instance, f"get_{field.name}_display")())
    if isinstance(value, bool):
        return str(_("Yes")) if value else ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def snapshot(instance, fields: list[str]) -> dict[str, str]:
    meta = instance._meta
    return {name: display_value(instance, meta.get_field(name)) for name in fields}


def diff(instance, before: dict[str, str], fields: list[str]) -> list[dict]:
    after = snapshot(instance, fields)
    meta = instance._meta
    return [
        {
            "field": name,
            "label": str(meta.get_field(name).verbose_name),
            "old": before[name],
            "new": after[name],
        }
        for name in fields
        if before[name] != after[name]
    ]


def field_change(model, field: str, old: str, new: str) -> dict:
    return {
        "field": field,
        "label": str(model._meta.get_field(field).verbose_name),
        "old": old,
        "new": new,
    }


def event(actor, action, instance, *, customer_id=None, changes=None) -> AuditEvent:
    """An unsaved event, for set-based writers that bulk_create many at once."""
    return AuditEvent(
        actor=actor,
        action=action,
        model=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        customer_id=customer_id,
        changes=changes or [],
    )


def record(actor, action, instance, *, customer_id=None, changes=None) -> AuditEvent | None:
    """Writes one event; an update that changed nothing writes nothing."""
    if action == AuditEvent.Action.UPDATE and not changes:
        return None
    entry = event(actor, action, instance, customer_id=customer_id, changes=changes)
    entry.save()
    return entry
