from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """Teams form a tree. `path` ("/1/4/") lets a manager's subtree be one prefix query;
    accounts.services keeps it right when a team is created or moved."""

    name = models.CharField(_("team name"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(
        _("position in the tree"), max_length=255, db_index=True, editable=False, default="/"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        DIRECTOR = "director", _("Sales director")
        MANAGER = "manager", _("Account manager")
        REP = "rep", _("Sales rep")
        VIEWER = "viewer", _("Viewer")

    name = models.CharField(_("full name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )

    class Seniority(models.TextChoices):
        NEW = "new", _("New hire")
        REGULAR = "regular", _("Regular")
        SENIOR = "senior", _("Senior")

    # what the assignment rules and the target decomposition weigh a salesperson by
    seniority = models.CharField(
        _("seniority"), max_length=10, choices=Seniority.choices, default=Seniority.REGULAR
    )
    capacity = models.DecimalField(
        _("capacity weight"),
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text=_("Share of new leads and of decomposed targets, relative to 1.00."),
    )
    customer_limit = models.PositiveIntegerField(
        _("customer limit"),
        null=True,
        blank=True,
        help_text=_("No new leads are assigned beyond this many owned customers; blank: none."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=0), name="user_capacity_gte_0")
        ]

    def __str__(self):
        return self.name or self.username

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role in (self.Role.ADMIN, self.Role.DIRECTOR)

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_read_only(self) -> bool:
        return self.role == self.Role.VIEWER and not self.is_superuser


class LoginFailure(models.Model):
    """A failed login, counted per username and per address to throttle guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self):
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"
