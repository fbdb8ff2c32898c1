"""Deals (商机) moving through configurable stages, with every stage change kept."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        AFTER = "after", _("After-sales")

    class Color(models.TextChoices):
        GREY = "secondary", _("Grey")
        BLUE = "primary", _("Blue")
        CYAN = "info", _("Cyan")
        ORANGE = "warning", _("Orange")
        GREEN = "success", _("Green")
        RED = "danger", _("Red")

    name = models.CharField(_("stage"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=10)
    color = models.CharField(_("colour"), max_length=10, choices=Color.choices, default=Color.BLUE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_max_100"
            )
        ]

    def __str__(self):
        return self.name


class Deal(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="deals",
    )
    title = models.CharField(_("deal"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, default=0)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    # set by hand: stays as set when the stage changes, until reset
    probability_manual = models.BooleanField(_("probability set by hand"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.ForeignKey(
        "customers.Channel",
        verbose_name=_("source channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    products = models.CharField(_("products"), max_length=300, blank=True)
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)
    # the furthest open or won stage the deal has reached (its position): the funnel counts it
    # in every stage up to there without reading the history
    furthest = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "stage", "id"], name="deal_owner_stage"),
            models.Index(fields=["team", "stage", "id"], name="deal_team_stage"),
            models.Index(fields=["stage", "id"], name="deal_stage"),
            models.Index(fields=["customer", "id"], name="deal_customer"),
            models.Index(fields=["furthest", "amount"], name="deal_furthest"),
            # targets: won amount per person in a period, and the pipeline by expected close,
            # from the index alone
            models.Index(fields=["stage", "closed_at", "owner", "amount"], name="deal_won"),
            models.Index(
                fields=["stage", "expected_close", "owner", "amount", "probability"],
                name="deal_expected",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="deal_probability_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="deal_amount_not_negative"
            ),
        ]

    def __str__(self):
        return self.title


class StageChange(models.Model):
    """A deal's move from one stage to another: when and by whom (the stage history the
    cycle-time and time-in-stage reports read)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # how long the deal stayed in `to_stage`: set when it moves on (time-in-stage reads it)
    days = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="stage_change_deal"),
            models.Index(fields=["to_stage", "at"], name="stage_change_to"),
            models.Index(fields=["to_stage", "days"], name="stage_change_days"),
        ]

    def __str__(self):
        return f"{self.deal}: {self.from_stage} → {self.to_stage}"


class MilestoneTemplate(models.Model):
    """A conversion milestone (转化节点) every deal passes: created when the deal enters
    `trigger_stage`, owned by a role, due `days` working days later (no deadline if empty)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Deal owner")
        MANAGER = "manager", _("Account manager")
        DIRECTOR = "director", _("Sales director")
        FINANCE = "finance", _("Finance")

    name = models.CharField(_("milestone"), max_length=60)
    trigger_stage = models.ForeignKey(
        Stage,
        verbose_name=_("starts when the deal enters"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    role = models.CharField(_("owner role"), max_length=10, choices=Role.choices)
    days = models.PositiveSmallIntegerField(_("deadline (working days)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("milestone template")
        verbose_name_plural = _("milestone templates")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class Milestone(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="milestones")
    template = models.ForeignKey(
        MilestoneTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("milestone"), max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones",
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # its entry in the owner's My day, calendar and iCal feed
    followup = models.OneToOneField(
        "followups.FollowUp",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestone",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "template"], name="milestone_once_per_deal")
        ]

    def __str__(self):
        return f"{self.deal}: {self.name}"
