"""Follow-ups: the interaction log (跟进记录), planned follow-ups (跟进计划), cadences per tier,
notifications, and the public pool's history (公海)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")
    VIDEO = "video", _("Video call")
    SMS = "sms", _("SMS")
    OTHER = "other", _("Other")


class Interaction(models.Model):
    """One contact with a customer, as the interaction log sheet records it."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    content = models.TextField(_("content"))
    feedback = models.TextField(_("customer feedback"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    next_on = models.DateField(_("next follow-up"), null=True, blank=True)
    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="interaction_customer_at"),
            models.Index(fields=["user", "at"], name="interaction_user_at"),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_method_display()} · {self.at:%Y-%m-%d}"


class CadenceRule(models.Model):
    """How often customers of a tier are followed up, by whom and how: one rule is one
    recurring follow-up (A: a deep contact every 7 days by the owner, an executive touch every
    month by the director …)."""

    class Who(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Team manager")
        DIRECTOR = "director", _("Sales director")

    tier = models.CharField(_("tier"), max_length=2)
    every_days = models.PositiveSmallIntegerField(_("every (days)"))
    who = models.CharField(_("by"), max_length=10, choices=Who.choices, default=Who.OWNER)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    content = models.CharField(_("planned content"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["tier", "every_days", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(every_days__gte=1), name="cadence_every_1")
        ]

    def __str__(self):
        return f"{self.tier}: {self.content} / {self.every_days}d"


class FollowUp(models.Model):
    """A planned follow-up (跟进计划): who contacts the customer, when, how, about what; its
    status and result. Overdue is derived: open and due before today."""

    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        DOING = "doing", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        CADENCE = "cadence", _("Cadence")
        MILESTONE = "milestone", _("Milestone")
        MANUAL = "manual", _("Manual")
        WINBACK = "winback", _("Win-back")

    OPEN = (Status.TODO, Status.DOING)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="followups",
        db_index=False,  # (customer, status) below serves it
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        db_index=False,  # (owner, status, due_on) below serves it
    )
    due_on = models.DateField(_("due date"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    content = models.CharField(_("planned content"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TODO
    )
    result = models.TextField(_("result"), blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    rule = models.ForeignKey(
        CadenceRule,
        verbose_name=_("cadence rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (rule, status, customer) below serves it
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("planned follow-up")
        verbose_name_plural = _("planned follow-ups")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="followup_owner_due"),
            models.Index(fields=["customer", "status"], name="followup_customer_open"),
            models.Index(fields=["status", "due_on"], name="followup_status_due"),
            models.Index(fields=["rule", "status", "customer"], name="followup_rule_open"),
        ]

    def __str__(self):
        return f"{self.customer} · {self.due_on} · {self.content}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class Notification(models.Model):
    """Something a person should know (an escalated follow-up, a customer released to the
    pool …); the navigation bar counts the unread ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("message"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.text


class PoolRule(models.Model):
    """When a customer goes back to the public pool (公海): after `days` without an
    interaction, for a tier and/or a status (blank matches any). The most specific rule wins."""

    tier = models.CharField(_("tier"), max_length=2, blank=True)
    status = models.CharField(_("status"), max_length=10, blank=True)
    days = models.PositiveSmallIntegerField(_("days without an interaction"))

    class Meta:
        verbose_name = _("pool rule")
        verbose_name_plural = _("pool rules")
        ordering = ["tier", "status"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "status"], name="pool_rule_unique"),
            models.CheckConstraint(condition=models.Q(days__gte=1), name="pool_rule_days_1"),
        ]

    def __str__(self):
        return f"{self.tier or '*'}/{self.status or '*'}: {self.days}"


class PoolEvent(models.Model):
    """A customer released to or claimed from the pool: who, when, why."""

    class Kind(models.TextChoices):
        RELEASE = "release", _("Released to the pool")
        CLAIM = "claim", _("Claimed from the pool")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="pool_events"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("the owner released from, or the person claiming"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "kind", "at"], name="pool_event_user"),
            models.Index(fields=["customer", "at"], name="pool_event_customer"),
        ]

    def __str__(self):
        return f"{self.customer} {self.kind}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's private iCal feed: the secret in its URL is the only credential, so it can
    be reset (the old URL stops working)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"feed of {self.user}"
