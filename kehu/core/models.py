from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change to one record: who, when, what, and each field's old → new value.

    `customer` ties the event to the customer page it shows on (a contact's change belongs to
    its customer); it moves with the records when two customers are merged and survives the
    customer's deletion so the trail is never lost."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        MERGE = "merge", _("Merged")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=60)
    object_id = models.BigIntegerField(_("record id"))
    object_repr = models.CharField(_("record"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        db_constraint=False,
        db_index=False,  # `audit_customer_at` (customer, -at) serves it
    )
    # [{"field": "name", "label": "客户名称", "old": "…", "new": "…"}, …]
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["customer", "-at"], name="audit_customer_at"),
            models.Index(fields=["model", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"


class ScheduledJob(models.Model):
    """A job that runs on a calendar (re-tiering each quarter, applying approved tier changes
    each day …). The worker enqueues it when `next_run_at` passes; claiming a run is one
    conditional UPDATE, so two workers never enqueue the same run twice."""

    class Every(models.TextChoices):
        DAY = "day", _("Every day")
        WEEK = "week", _("Every Monday")
        MONTH = "month", _("First day of each month")
        QUARTER = "quarter", _("First day of each quarter")
        YEAR = "year", _("First day of each year")
        NEVER = "never", _("Never (on demand only)")

    name = models.CharField(_("job"), max_length=60, unique=True)
    every = models.CharField(_("runs"), max_length=10, choices=Every.choices)
    hour = models.PositiveSmallIntegerField(_("at hour (local time)"), default=2)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CalendarDay(models.Model):
    """An exception to "Monday to Friday are working days": a public holiday (or a day off in
    lieu) or a make-up workday on a weekend (调休). Seeded from the `holidays` package per year;
    an admin or director adds, changes or removes days (the State Council announces each
    year's make-up days late in the year before)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKDAY = "workday", _("Make-up workday")

    class Source(models.TextChoices):
        SEEDED = "seeded", _("Public calendar")
        MANUAL = "manual", _("Edited by hand")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose public holidays have been seeded (so an edited year is never re-seeded)."""

    year = models.PositiveSmallIntegerField(unique=True)
    seeded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.year)
