"""Purchases (orders with lines and collection), satisfaction answers, feedback and complaints.

A customer's purchase totals (sum, count, first and last order, margin, when the next order is
due) are kept on the customer row itself so that the customer list sorts and filters on them
with an index; services.refresh_totals recomputes them from the orders on every order write,
and `kehu sales rebuild-totals` recomputes them for everyone."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class ProductCategory(models.Model):
    name = models.CharField(_("category"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(_("product"), max_length=100, unique=True)
    code = models.CharField(_("product code"), max_length=40, blank=True)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    unit_price = models.DecimalField(_("list price (CNY)"), default=0, **MONEY)
    unit_cost = models.DecimalField(_("unit cost (CNY)"), default=0, **MONEY)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0) & models.Q(unit_cost__gte=0),
                name="product_price_not_negative",
            )
        ]

    def __str__(self):
        return self.name


class Order(models.Model):
    """A purchase record (购买记录): what the customer bought, for how much, and whether the
    money has come in (回款)."""

    class Collection(models.TextChoices):
        UNPAID = "unpaid", _("Not collected")
        PARTIAL = "partial", _("Partly collected")
        PAID = "paid", _("Collected")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="orders",
    )
    number = models.CharField(_("contract number"), max_length=40, blank=True)
    order_date = models.DateField(_("order date"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deal = models.OneToOneField(
        "pipeline.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    # the sums of the lines, kept by the services
    amount = models.DecimalField(_("amount (CNY)"), default=0, **MONEY)
    cost = models.DecimalField(_("cost (CNY)"), default=0, **MONEY)
    margin = models.DecimalField(_("margin (CNY)"), default=0, **MONEY)
    collection = models.CharField(
        _("collection"), max_length=10, choices=Collection.choices, default=Collection.UNPAID
    )
    collected_amount = models.DecimalField(_("collected (CNY)"), default=0, **MONEY)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "order_date"], name="order_customer_date"),
            # period figures: the orders of a period and their customers, from the index alone
            models.Index(
                fields=["order_date", "customer", "amount", "margin"], name="order_date_covering"
            ),
            models.Index(fields=["owner", "order_date"], name="order_owner_date"),
            # collections per person in a period (targets), from the index alone
            models.Index(
                fields=["collected_on", "owner", "collected_amount"], name="order_collected"
            ),
            models.Index(fields=["team", "order_date"], name="order_team_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) & models.Q(collected_amount__gte=0),
                name="order_amounts_not_negative",
            )
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("unit price (CNY)"), **MONEY)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    cost = models.DecimalField(_("cost (CNY)"), default=0, **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        indexes = [models.Index(fields=["product", "order"], name="order_line_product")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0) & models.Q(unit_price__gte=0),
                name="order_line_positive",
            )
        ]

    def __str__(self):
        return self.description or str(self.product)


class ProductPair(models.Model):
    """How many customers bought both products (cross-sell), recomputed nightly from the lines."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    customers = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="product_pair_once")
        ]

    def __str__(self):
        return f"{self.product_id} + {self.other_id}: {self.customers}"


class ProductBuyers(models.Model):
    """How many customers bought a product (the denominator of a cross-sell's share)."""

    product = models.OneToOneField(Product, primary_key=True, on_delete=models.CASCADE)
    customers = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.product_id}: {self.customers}"


class SurveyAnswer(models.Model):
    """One satisfaction answer: CSAT (1–5) or NPS (0–10), by a customer's contact."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("CSAT (1–5)")
        NPS = "nps", _("NPS (0–10)")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="survey_answers",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("survey"), max_length=4, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    answered_on = models.DateField(_("answered on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        ordering = ["-answered_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "answered_on"], name="survey_customer_date"),
            models.Index(fields=["kind", "answered_on"], name="survey_kind_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="csat") & models.Q(score__gte=1, score__lte=5))
                | (models.Q(kind="nps") & models.Q(score__lte=10)),
                name="survey_score_in_range",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.score}"


class Feedback(models.Model):
    """Feedback or a complaint (客户反馈与投诉), followed until it is resolved."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        FEEDBACK = "feedback", _("Feedback")
        PRAISE = "praise", _("Praise")

    class Category(models.TextChoices):
        QUALITY = "quality", _("Product quality")
        DELIVERY = "delivery", _("Delivery")
        SERVICE = "service", _("Service attitude")
        PRICE = "price", _("Price")
        BILLING = "billing", _("Billing and invoices")
        OTHER = "other", _("Other")

    class Severity(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.COMPLAINT)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    summary = models.CharField(_("summary"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    resolution = models.TextField(_("resolution"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="feedback_customer_status"),
            models.Index(fields=["owner", "status"], name="feedback_owner_status"),
            models.Index(fields=["opened_at", "category"], name="feedback_opened"),
        ]

    def __str__(self):
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def days_to_resolve(self) -> float | None:
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.opened_at).total_seconds() / 86400, 1)
