"""Every write of purchases, satisfaction and feedback: products, orders (from scratch or from a
won deal), collections, survey answers, complaints. Each order write recomputes the customer's
purchase totals from its orders in the same transaction, so they are never stale."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core import audit
from kehu.core.bulk import update_from
from kehu.core.models import AuditEvent
from kehu.core.money import MAX_AMOUNT, parse_amount
from kehu.customers.models import Customer

from .models import Feedback, Order, OrderLine, Product, ProductCategory, SurveyAnswer

CENT = Decimal("0.01")


def money(value, field: str, errors: dict, *, required=True) -> Decimal | None:
    """A non-negative amount to the cent, or an error under `field`."""
    return parse_amount(value, field, errors, required=required)


def can_configure(actor) -> bool:
    return actor.sees_everything and not actor.is_read_only


# --- products -------------------------------------------------------------------------------
@transaction.atomic
def save_product(actor, data: dict, product: Product | None = None) -> Product:
    access.require(can_configure(actor))
    errors: dict = {}
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = [_("Enter the product name.")]
    elif Product.objects.filter(name=name).exclude(pk=getattr(product, "pk", None)).exists():
        errors["name"] = [_("There is already a product called “%(name)s”.") % {"name": name}]
    price = money(data.get("unit_price"), "unit_price", errors)
    cost = money(data.get("unit_cost") or 0, "unit_cost", errors)
    category = data.get("category")
    if isinstance(category, str):
        category = _category(category)
    if errors:
        raise ValidationError(errors)
    product = product or Product()
    product.name, product.code = name, str(data.get("code", "")).strip()[:40]
    product.category, product.unit_price, product.unit_cost = category, price, cost
    product.active = bool(data.get("active", True))
    product.save()
    return product


def _category(name: str) -> ProductCategory | None:
    name = name.strip()
    if not name:
        return None
    return ProductCategory.objects.get_or_create(name=name[:50])[0]


# --- orders ---------------------------------------------------------------------------------
def _clean_lines(lines, errors: dict) -> list[OrderLine]:
    """Lines as typed: a product or a description, a quantity above 0, a price (the product's
    list price when left blank). Errors name the line: lines-2-quantity."""
    ids = [
        int(ln["product"])
        for ln in lines
        if ln.get("product") and str(ln["product"]).isdigit()  # ids typed in a form
    ]
    products = Product.objects.in_bulk(ids)
    out = []
    for number, line in enumerate(lines, start=1):
        key = f"line {number}"
        product = line.get("product")
        if product is not None and not isinstance(product, Product):
            product = products.get(int(product)) if str(product).isdigit() else None
            if product is None:
                errors.setdefault(key, []).append(_("Choose a product from the list."))
                continue
        description = str(line.get("description", "")).strip()[:200]
        if product is None and not description:
            errors.setdefault(key, []).append(_("Choose a product or describe what was sold."))
            continue
        local: dict = {}
        try:
            typed = line.get("quantity")  # blank means 1; a typed 0 stays 0 (refused below)
            quantity = Decimal(str(1 if typed in (None, "") else typed)).quantize(CENT)
        except (InvalidOperation, ValueError):
            quantity = None
        if quantity is None or quantity <= 0:
            errors.setdefault(key, []).append(_("The quantity must be above 0."))
            continue
        price_given = line.get("unit_price") not in (None, "")
        price = (
            money(line.get("unit_price"), key, local)
            if price_given or product is None
            else product.unit_price
        )
        if local:
            errors.setdefault(key, []).extend(local[key])
            continue
        unit_cost = product.unit_cost if product else Decimal(0)
        out.append(
            OrderLine(
                product=product,
                description=description,
                quantity=quantity,
                unit_price=price,
                amount=(quantity * price).quantize(CENT, ROUND_HALF_UP),
                cost=(quantity * unit_cost).quantize(CENT, ROUND_HALF_UP),
            )
        )
    if not lines:
        errors.setdefault("lines", []).append(_("An order needs at least one line."))
    # each line fits, their sum may not (a DecimalField(14, 2) on PostgreSQL refuses it)
    if any(
        sum((getattr(ln, f) for ln in out), Decimal(0)) > MAX_AMOUNT for f in ("amount", "cost")
    ):
        errors.setdefault("lines", []).append(_("The amount is too large."))
    return out


def _collection(data: dict, amount: Decimal, errors: dict) -> tuple[str, Decimal, date | None]:
    collected = money(data.get("collected_amount") or 0, "collected_amount", errors) or Decimal(0)
    on = data.get("collected_on") or None
    if collected > amount:
        errors.setdefault("collected_amount", []).append(
            _("More than the order's amount (%(amount)s).") % {"amount": f"{amount:,.2f}"}
        )
    if collected and on is None:
        on = timezone.localdate()
    if collected == 0:
        status, on = Order.Collection.UNPAID, None
    elif collected < amount:
        status = Order.Collection.PARTIAL
    else:
        status = Order.Collection.PAID
    return status, collected, on


def _owner(actor, customer: Customer, owner, errors: dict):
    owner = owner or customer.owner or actor
    if owner not in (actor, customer.owner) and not _assignable(actor, owner):
        errors["owner"] = [_("You cannot credit orders to this person.")]
    return owner


def _can_own(actor, owner, customer) -> bool:
    """Someone the actor may assign work to and who can see the customer (else they would be
    told about a complaint they cannot open)."""
    return _assignable(actor, owner) and (
        access.visible_customers(owner).filter(pk=customer.pk).exists()
    )


def _assignable(actor, owner) -> bool:
    return access.assignable_owners(actor).filter(pk=owner.pk).exists()


@transaction.atomic
def create_order(actor, customer: Customer, data: dict, lines: list[dict], *, deal=None) -> Order:
    """A purchase on a customer the actor may change. The customer becomes 成交 (customer) and
    its purchase totals include the order at once."""
    customer = access.get_customer(actor, customer.pk, write=True)
    errors: dict = {}
    order_date = data.get("order_date")
    if not isinstance(order_date, date):
        errors["order_date"] = [_("Enter the order date.")]
    elif order_date > timezone.localdate() + timedelta(days=366):
        errors["order_date"] = [_("The order date is more than a year ahead.")]
    built = _clean_lines(lines, errors)
    owner = _owner(actor, customer, data.get("owner"), errors)
    amount = sum((ln.amount for ln in built), Decimal("0.00"))
    status, collected, on = _collection(data, amount, errors)
    if errors:
        raise ValidationError(errors)
    cost = sum((ln.cost for ln in built), Decimal("0.00"))
    order = Order.objects.create(
        customer=customer,
        number=str(data.get("number", "")).strip()[:40],
        order_date=order_date,
        owner=owner,
        team_id=owner.team_id if owner else customer.team_id,
        deal=deal,
        amount=amount,
        cost=cost,
        margin=amount - cost,
        collection=status,
        collected_amount=collected,
        collected_on=on,
        notes=str(data.get("notes", "")).strip()[:500],
        created_by=actor,
    )
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    audit.record(
        actor,
        AuditEvent.Action.CREATE,
        order,
        customer_id=customer.pk,
        changes=[
            audit.field_change(Order, "amount", "", f"{amount:,.2f}"),
            audit.field_change(Order, "order_date", "", order_date.isoformat()),
        ],
    )
    if customer.status in (Customer.Status.LEAD, Customer.Status.PROSPECT, Customer.Status.CHURNED):
        _became_customer(actor, customer)
    refresh_totals([customer.pk])
    return order


def _became_customer(actor, customer: Customer) -> None:
    old = customer.get_status_display()
    Customer.objects.filter(pk=customer.pk).update(
        status=Customer.Status.CUSTOMER, updated_at=timezone.now(), version=F("version") + 1
    )
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        customer,
        customer_id=customer.pk,
        changes=[
            audit.field_change(Customer, "status", str(old), str(Customer.Status.CUSTOMER.label))
        ],
    )


def editable_order(actor, order: Order) -> Order:
    access.get_customer(actor, order.customer_id, write=True)
    return order


@transaction.atomic
def update_order(actor, order: Order, data: dict, lines: list[dict], version: int) -> Order:
    """Changes an order and replaces its lines; a stale form (someone saved since) is refused."""
    editable_order(actor, order)
    current = Order.objects.select_for_update().get(pk=order.pk)
    if current.version != version:
        raise ValidationError(
            _("Someone changed this order after you opened it. Reload it and try again.")
        )
    errors: dict = {}
    order_date = data.get("order_date")
    if not isinstance(order_date, date):
        errors["order_date"] = [_("Enter the order date.")]
    built = _clean_lines(lines, errors)
    owner = _owner(actor, current.customer, data.get("owner") or current.owner, errors)
    amount = sum((ln.amount for ln in built), Decimal("0.00"))
    status, collected, on = _collection(data, amount, errors)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(current, ["order_date", "amount", "collection", "owner"])
    cost = sum((ln.cost for ln in built), Decimal("0.00"))
    current.number = str(data.get("number", "")).strip()[:40]
    current.order_date, current.owner = order_date, owner
    current.team_id = owner.team_id if owner else current.team_id
    current.amount, current.cost, current.margin = amount, cost, amount - cost
    current.collection, current.collected_amount, current.collected_on = status, collected, on
    current.notes = str(data.get("notes", "")).strip()[:500]
    current.version += 1
    current.save()
    current.lines.all().delete()
    for line in built:
        line.order = current
    OrderLine.objects.bulk_create(built)
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        current,
        customer_id=current.customer_id,
        changes=audit.diff(current, before, ["order_date", "amount", "collection", "owner"]),
    )
    refresh_totals([current.customer_id])
    return current


@transaction.atomic
def record_collection(actor, order: Order, amount, on: date | None = None) -> Order:
    """Money came in (回款) against an order: adds to what was collected."""
    editable_order(actor, order)
    current = Order.objects.select_for_update().get(pk=order.pk)
    errors: dict = {}
    paid = money(amount, "amount", errors)
    if paid is not None and paid <= 0:
        errors["amount"] = [_("Enter an amount above 0.")]
    if errors:
        raise ValidationError(errors)
    status, collected, on = _collection(
        {"collected_amount": current.collected_amount + paid, "collected_on": on},
        current.amount,
        errors,
    )
    if errors:
        raise ValidationError({"amount": errors["collected_amount"]})
    before = audit.snapshot(current, ["collection", "collected_amount"])
    Order.objects.filter(pk=current.pk).update(
        collection=status, collected_amount=collected, collected_on=on, version=F("version") + 1
    )
    current.refresh_from_db()
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        current,
        customer_id=current.customer_id,
        changes=audit.diff(current, before, ["collection", "collected_amount"]),
    )
    return current


@transaction.atomic
def delete_order(actor, order: Order) -> None:
    editable_order(actor, order)
    customer_id = order.customer_id
    audit.record(
        actor,
        AuditEvent.Action.DELETE,
        order,
        customer_id=customer_id,
        changes=[audit.field_change(Order, "amount", f"{order.amount:,.2f}", "")],
    )
    order.delete()
    refresh_totals([customer_id])


@transaction.atomic
def order_from_deal(actor, deal, data: dict, lines: list[dict] | None = None) -> Order:
    """A won deal becomes an order in one step: one line for the deal's amount unless lines are
    given; a deal makes at most one order."""
    from kehu.pipeline.models import Stage

    if deal.stage.kind not in (Stage.Kind.WON, Stage.Kind.AFTER):  # won, maybe in after-sales
        raise ValidationError(_("Only a won deal becomes an order."))
    if Order.objects.filter(deal=deal).exists():
        raise ValidationError(_("This deal already has its order."))
    if not lines:
        lines = [
            {
                "product": data.get("product"),
                "description": deal.title,
                "quantity": 1,
                "unit_price": deal.amount,
            }
        ]
    data = {
        "order_date": (deal.closed_at and timezone.localdate(deal.closed_at))
        or timezone.localdate(),
        "owner": deal.owner,
        **data,
    }
    return create_order(actor, deal.customer, data, lines, deal=deal)


# --- the customer's purchase totals -----------------------------------------------------------
def _due(first: date | None, last: date | None, count: int) -> date | None:
    """The customer's next order is due by its own rhythm: the last order plus
    KEHU_PURCHASE_DUE_FACTOR × the average gap between its orders (two orders at least)."""
    if count < 2 or first is None or last is None or last <= first:
        return None
    gap = (last - first).days / (count - 1)
    return last + timedelta(days=round(gap * settings.KEHU_PURCHASE_DUE_FACTOR))


def _as_date(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


TOTAL_COLUMNS = [
    ("purchase_total", "numeric(14, 2)"),
    ("purchase_count", "bigint"),
    ("purchase_margin", "numeric(14, 2)"),
    ("first_purchase_on", "date"),
    ("last_purchase_on", "date"),
    ("purchase_due_on", "date"),
]


def _totals_sql(where: str) -> str:
    table = Order._meta.db_table
    return (
        "SELECT customer_id, SUM(amount), COUNT(*), SUM(margin), MIN(order_date), "
        f"MAX(order_date) FROM {table} {where} GROUP BY customer_id"
    )


def _total_rows(cursor) -> list[tuple]:
    rows = []
    for cid, total, count, margin, first, last in cursor.fetchall():
        first, last = _as_date(first), _as_date(last)
        rows.append(
            (
                cid,
                str(Decimal(str(total)).quantize(CENT)),
                count,
                str(Decimal(str(margin)).quantize(CENT)),
                first and first.isoformat(),
                last and last.isoformat(),
                (d := _due(first, last, count)) and d.isoformat(),
            )
        )
    return rows


def refresh_totals(customer_ids) -> None:
    """Recomputes the purchase totals of these customers from their orders (one grouped query
    and one set-based update; customers left without orders go back to zero)."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(_totals_sql(f"WHERE customer_id IN ({marks})"), ids)
        rows = _total_rows(cursor)
    found = {r[0] for r in rows}
    rows += [(cid, "0.00", 0, "0.00", None, None, None) for cid in ids if cid not in found]
    update_from(Customer._meta.db_table, _typed(TOTAL_COLUMNS), rows)


def _typed(columns):
    if connection.vendor == "postgresql":
        return columns
    return [(name, "text" if sql_type == "date" else sql_type) for name, sql_type in columns]


def rebuild_totals() -> int:
    """Every customer's purchase totals from the orders (`kehu sales rebuild-totals`): the
    repair if they were ever written around the services. Returns the customers with orders."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_totals_sql(""))
            rows = _total_rows(cursor)
        table = Customer._meta.db_table
        # only rows that change: a customer row carries some 30 indexes, and PostgreSQL writes
        # a new version of every one for each row updated (a million-customer rebuild that
        # reset everyone first took minutes)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET purchase_total = 0, purchase_count = 0, purchase_margin = 0, "
                "first_purchase_on = NULL, last_purchase_on = NULL, purchase_due_on = NULL "
                f"WHERE purchase_count > 0 AND NOT EXISTS (SELECT 1 FROM {Order._meta.db_table} o "
                f"WHERE o.customer_id = {table}.id)"
            )
        update_from(table, _typed(TOTAL_COLUMNS), rows, only_changed=True)
    return len(rows)


def rebuild_pairs() -> int:
    """The cross-sell table: for every two products, how many customers bought both, and for
    every product how many bought it (set-based, nightly and after the demo). Returns pairs."""
    from .models import ProductBuyers, ProductPair

    lines, orders = OrderLine._meta.db_table, Order._meta.db_table
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS kehu_bought")
        cursor.execute(
            "CREATE TEMPORARY TABLE kehu_bought AS SELECT DISTINCT o.customer_id, l.product_id "
            f"FROM {lines} l JOIN {orders} o ON o.id = l.order_id WHERE l.product_id IS NOT NULL"
        )
        cursor.execute("CREATE INDEX kehu_bought_customer ON kehu_bought (customer_id, product_id)")
        ProductPair.objects.all().delete()
        ProductBuyers.objects.all().delete()
        cursor.execute(
            f"INSERT INTO {ProductBuyers._meta.db_table} (product_id, customers, computed_at) "
            "SELECT product_id, COUNT(*), %s FROM kehu_bought GROUP BY product_id",
            [connection.ops.adapt_datetimefield_value(now)],
        )
        cursor.execute(
            f"INSERT INTO {ProductPair._meta.db_table} (product_id, other_id, customers) "
            "SELECT a.product_id, b.product_id, COUNT(*) FROM kehu_bought a "
            "JOIN kehu_bought b ON b.customer_id = a.customer_id AND b.product_id <> a.product_id "
            "GROUP BY a.product_id, b.product_id"
        )
        cursor.execute("DROP TABLE kehu_bought")
    return ProductPair.objects.count()


# --- satisfaction ---------------------------------------------------------------------------
@transaction.atomic
def record_answer(actor, customer: Customer, data: dict) -> SurveyAnswer:
    """A CSAT (1–5) or NPS (0–10) answer. The latest CSAT becomes the customer's satisfaction
    (the tier criterion reads it)."""
    customer = access.get_customer(actor, customer.pk, write=True)
    errors: dict = {}
    kind = data.get("kind")
    if kind not in SurveyAnswer.Kind.values:
        errors["kind"] = [_("Choose CSAT or NPS.")]
    try:
        score = int(data.get("score"))
    except (TypeError, ValueError):
        score = None
    low, high = (1, 5) if kind == SurveyAnswer.Kind.CSAT else (0, 10)
    if score is None or not low <= score <= high:
        errors["score"] = [
            _("Enter a score from %(low)s to %(high)s.") % {"low": low, "high": high}
        ]
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("Choose one of this customer's contacts.")]
    answered_on = data.get("answered_on") or timezone.localdate()
    if answered_on > timezone.localdate():
        errors["answered_on"] = [_("The answer cannot be dated in the future.")]
    if errors:
        raise ValidationError(errors)
    answer = SurveyAnswer.objects.create(
        customer=customer,
        contact=contact,
        kind=kind,
        score=score,
        comment=str(data.get("comment", "")).strip()[:500],
        answered_on=answered_on,
        recorded_by=actor,
    )
    if kind == SurveyAnswer.Kind.CSAT:
        latest = (
            SurveyAnswer.objects.filter(customer=customer, kind=kind)
            .order_by("-answered_on", "-id")
            .values_list("score", flat=True)
            .first()
        )
        if latest != customer.satisfaction:
            Customer.objects.filter(pk=customer.pk).update(
                satisfaction=latest, updated_at=timezone.now(), version=F("version") + 1
            )
            audit.record(
                actor,
                AuditEvent.Action.UPDATE,
                customer,
                customer_id=customer.pk,
                changes=[
                    audit.field_change(
                        Customer, "satisfaction", str(customer.satisfaction or ""), str(latest)
                    )
                ],
            )
    return answer


# --- feedback and complaints ----------------------------------------------------------------
def _feedback_fields(data: dict, errors: dict) -> dict:
    summary = str(data.get("summary", "")).strip()
    if not summary:
        errors["summary"] = [_("Say in a line what it is about.")]
    if data.get("category") not in Feedback.Category.values:
        errors["category"] = [_("Choose a category.")]
    if data.get("kind", Feedback.Kind.COMPLAINT) not in Feedback.Kind.values:
        errors["kind"] = [_("Choose a type.")]
    try:
        severity = int(data.get("severity") or Feedback.Severity.MEDIUM)
    except (TypeError, ValueError):
        severity = 0
    if severity not in Feedback.Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    return {
        "summary": summary[:200],
        "details": str(data.get("details", "")).strip(),
        "category": data.get("category"),
        "kind": data.get("kind") or Feedback.Kind.COMPLAINT,
        "severity": severity,
    }


@transaction.atomic
def open_feedback(actor, customer: Customer, data: dict) -> Feedback:
    """Feedback or a complaint, owned by the customer's owner unless someone else is named; the
    owner is told."""
    customer = access.get_customer(actor, customer.pk, write=True)
    errors: dict = {}
    fields = _feedback_fields(data, errors)
    owner = data.get("owner") or customer.owner or actor
    if owner not in (actor, customer.owner) and not _can_own(actor, owner, customer):
        errors["owner"] = [_("You cannot give this to that person.")]
    if errors:
        raise ValidationError(errors)
    item = Feedback.objects.create(
        customer=customer,
        owner=owner,
        opened_at=data.get("opened_at") or timezone.now(),
        created_by=actor,
        **fields,
    )
    audit.record(actor, AuditEvent.Action.CREATE, item, customer_id=customer.pk)
    if owner and owner != actor and item.kind == Feedback.Kind.COMPLAINT:
        from kehu.followups.services import notify

        notify(
            [owner.pk],
            _("New complaint from %(customer)s: %(summary)s")
            % {"customer": customer.name, "summary": item.summary},
            url=f"/sales/feedback/{item.pk}/",
            customer_id=customer.pk,
        )
    return item


def editable_feedback(actor, item: Feedback) -> Feedback:
    access.get_customer(actor, item.customer_id, write=True)
    return item


@transaction.atomic
def update_feedback(actor, item: Feedback, data: dict, version: int) -> Feedback:
    """Moves a complaint on: status, owner, resolution. Resolving needs the resolution written
    and stamps the time (time to resolve); reopening clears it."""
    editable_feedback(actor, item)
    current = Feedback.objects.select_for_update().get(pk=item.pk)
    if current.version != version:
        raise ValidationError(
            _("Someone changed this after you opened it. Reload it and try again.")
        )
    errors: dict = {}
    fields = _feedback_fields({**_plain(current), **data}, errors)
    status = data.get("status", current.status)
    if status not in Feedback.Status.values:
        errors["status"] = [_("Choose a status.")]
    resolution = str(data.get("resolution", current.resolution)).strip()
    if status in (Feedback.Status.RESOLVED, Feedback.Status.CLOSED) and not resolution:
        errors["resolution"] = [_("Write how it was resolved.")]
    owner = data.get("owner") or current.owner
    if owner not in (actor, current.owner) and not _can_own(actor, owner, current.customer):
        errors["owner"] = [_("You cannot give this to that person.")]
    if errors:
        raise ValidationError(errors)
    tracked = ["status", "owner", "severity", "category", "summary", "resolution"]
    before = audit.snapshot(current, tracked)
    for key, value in fields.items():
        setattr(current, key, value)
    was_open = current.is_open
    current.status, current.resolution, current.owner = status, resolution, owner
    if current.is_open:
        current.resolved_at = None
    elif was_open:
        current.resolved_at = timezone.now()
    current.version += 1
    current.save()
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        current,
        customer_id=current.customer_id,
        changes=audit.diff(current, before, tracked),
    )
    return current


def _plain(item: Feedback) -> dict:
    return {
        "summary": item.summary,
        "details": item.details,
        "category": item.category,
        "kind": item.kind,
        "severity": item.severity,
    }
