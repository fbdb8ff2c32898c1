from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Industry(models.Model):
    name = models.CharField(_("industry"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Channel(models.Model):
    """Where a customer came from (来源渠道): exhibition, referral, website …"""

    name = models.CharField(_("source channel"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("source channel")
        verbose_name_plural = _("source channels")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    class Color(models.TextChoices):
        RED = "danger", _("Red")
        ORANGE = "warning", _("Orange")
        GREEN = "success", _("Green")
        BLUE = "primary", _("Blue")
        CYAN = "info", _("Cyan")
        GREY = "secondary", _("Grey")

    name = models.CharField(_("tag"), max_length=30, unique=True)
    group = models.CharField(_("tag group"), max_length=30, blank=True)
    color = models.CharField(_("colour"), max_length=10, choices=Color.choices, default=Color.BLUE)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", pgettext_lazy("lifecycle status", "Customer")
        CHURNED = "churned", _("Churned")

    class Size(models.TextChoices):
        MICRO = "micro", _("Under 20 staff")
        SMALL = "small", _("20–99 staff")
        MEDIUM = "medium", _("100–499 staff")
        LARGE = "large", _("500–999 staff")
        ENTERPRISE = "enterprise", _("1000+ staff")

    TIERS = ["A", "B", "C"]

    name = models.CharField(_("customer name"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT
    )
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    size = models.CharField(_("company size"), max_length=12, choices=Size.choices, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    channel = models.ForeignKey(
        Channel, verbose_name=_("source channel"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.LEAD
    )
    # Tier and score are computed by kehu.tiering; here they are the current published values.
    tier = models.CharField(_("tier"), max_length=2, blank=True)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # the re-tiering run (so the policy version and the date) that computed `score`
    score_run = models.ForeignKey(
        "tiering.TierRun",
        verbose_name=_("scored by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # looked up from the customer only
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
        db_index=False,  # (owner, updated_at, id) below serves owner lookups
    )
    # The owner's team when the customer was last assigned: lets a manager's subtree be one
    # indexed IN (...) instead of a join through users.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,  # (team, updated_at, id) below serves team lookups
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        through="CustomerShare",
        related_name="shared_customers",
        blank=True,
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="CustomerTag", related_name="customers", blank=True
    )
    core_needs = models.TextField(_("core needs"), blank=True)
    product_preferences = models.CharField(_("product preferences"), max_length=200, blank=True)
    annual_budget = models.DecimalField(
        _("annual purchase budget (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    cooperation_amount = models.DecimalField(
        _("historical cooperation amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    last_contact_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    # in the public pool (公海) since; the owner is then empty (kehu.followups.pool)
    pooled_at = models.DateTimeField(_("in the pool since"), null=True, blank=True)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    notes = models.TextField(_("notes"), blank=True)

    # Purchase totals, kept from the orders by kehu.sales.services on every order write
    # (`kehu sales rebuild-totals` recomputes them): the list sorts and filters on them.
    purchase_total = models.DecimalField(
        _("purchases (CNY)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    purchase_count = models.PositiveIntegerField(_("orders"), default=0)
    purchase_margin = models.DecimalField(
        _("margin (CNY)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    first_purchase_on = models.DateField(_("first order"), null=True, blank=True)
    last_purchase_on = models.DateField(_("last order"), null=True, blank=True)
    # when the next order is due by the customer's own rhythm (last order + 1.5 × the average
    # gap between its orders); later than that, the churn warnings list it
    purchase_due_on = models.DateField(_("next order due"), null=True, blank=True)

    # Derived on every write by customers.services: the duplicate key, the pinyin sort key
    # and the search document (name, pinyin, initials, phones, e-mails).
    name_key = models.CharField(max_length=100, editable=False, db_index=True, default="")
    name_pinyin = models.CharField(max_length=255, editable=False, default="")
    search_text = models.TextField(editable=False, default="")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Bumped on every edit; a form carries the version it was read at, and a save whose
    # version is stale is refused (see services.update_customer).
    version = models.PositiveIntegerField(default=1, editable=False)

    AUDITED_FIELDS = [
        "name",
        "kind",
        "industry",
        "province",
        "city",
        "size",
        "address",
        "channel",
        "status",
        "tier",
        "score",
        "owner",
        "core_needs",
        "product_preferences",
        "annual_budget",
        "cooperation_amount",
        "last_contact_at",
        "next_followup_at",
        "satisfaction",
        "notes",
    ]

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Every sortable column has (column, id) so that keyset pages are index walks;
        # owner/team lead the composite indexes because most people look at their own book.
        indexes = [
            models.Index(fields=["updated_at", "id"], name="cust_updated"),
            models.Index(fields=["created_at", "id"], name="cust_created"),
            models.Index(fields=["name_pinyin", "id"], name="cust_pinyin"),
            models.Index(fields=["tier", "score", "id"], name="cust_tier_score"),
            models.Index(fields=["score", "id"], name="cust_score"),
            models.Index(fields=["cooperation_amount", "id"], name="cust_amount"),
            models.Index(fields=["annual_budget", "id"], name="cust_budget"),
            models.Index(fields=["last_contact_at", "id"], name="cust_last_contact"),
            models.Index(fields=["pooled_at", "id"], name="cust_pooled"),
            models.Index(fields=["next_followup_at", "id"], name="cust_next_followup"),
            models.Index(fields=["owner", "updated_at", "id"], name="cust_owner_updated"),
            models.Index(fields=["team", "updated_at", "id"], name="cust_team_updated"),
            models.Index(fields=["status", "updated_at", "id"], name="cust_status_updated"),
            models.Index(fields=["purchase_total", "id"], name="cust_purchases"),
            models.Index(fields=["last_purchase_on", "id"], name="cust_last_purchase"),
            # customer lifetime (first to last order) of the churned, from the index alone
            models.Index(fields=["last_purchase_on", "first_purchase_on"], name="cust_lifetime"),
            models.Index(fields=["first_purchase_on", "id"], name="cust_first_purchase"),
            models.Index(fields=["purchase_due_on", "id"], name="cust_purchase_due"),
            # a team's churn warnings: its customers past their purchase rhythm, or with a
            # follow-up overdue (a tenth of the team's rows, not all of them)
            models.Index(fields=["team", "purchase_due_on"], name="cust_team_purchase_due"),
            models.Index(fields=["team", "next_followup_at"], name="cust_team_next_followup"),
        ]

    def __str__(self):
        return self.name


class CustomerShare(models.Model):
    """A collaborator: a user other than the owner who may see and work the customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="share_unique_user_customer")
        ]

    def __str__(self):
        return f"{self.customer_id} ↔ {self.user_id}"


class CustomerTag(models.Model):
    # no single-column indexes: `customertag_customer` and the unique (tag, customer) serve
    # both lookups, and every tag link an import writes would update two more
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["tag", "customer"], name="tag_unique_tag_customer")
        ]
        indexes = [models.Index(fields=["customer"], name="customertag_customer")]

    def __str__(self):
        return f"{self.customer_id} · {self.tag_id}"


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("contact name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    phone = models.CharField(_("mobile"), max_length=30, blank=True, db_index=True)
    phone2 = models.CharField(_("other phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    AUDITED_FIELDS = ["name", "title", "phone", "phone2", "email", "wechat", "is_primary", "notes"]

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]

    def __str__(self):
        return f"{self.name} ({self.title})" if self.title else self.name


class SavedView(models.Model):
    """A named list view: its filters, sort and columns, as the query string that shows it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("view name"), max_length=50)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedview_unique_user_name")
        ]

    def __str__(self):
        return self.name
