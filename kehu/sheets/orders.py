"""Importing purchase records (购买记录): one row per order line as people keep them. Rows of
the same customer with the same contract number are one order with several lines; a row
without a contract number is an order of its own. A row with an order number (an exported
sheet coming back) updates that order's date, contract number, owner, collection and notes;
its lines stay as they are. Orders go through kehu.sales.services one by one, so the
customer's purchase totals and status follow the same rules as in the pages."""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.core.bulk import in_values
from kehu.core.text import clean_text

from . import parse
from .customer_rows import RowProblem
from .importer import ERROR, ImportRefused
from .kinds import KINDS
from .models import ImportBatch, ImportRecord, created_ids
from .records import RecordImport, _options


class OrderImport(RecordImport):
    kind = KINDS["orders"]
    UPDATABLE = (
        "number",
        "order_date",
        "owner_id",
        "collection",
        "collected_amount",
        "collected_on",
        "notes",
    )
    LINE_KEYS = ("product", "quantity", "unit_price", "amount")

    def __init__(self, actor, mapping):
        super().__init__(actor, mapping)
        from kehu.sales.models import Order, Product

        self.model = Order
        self.products = {clean_text(p.name).lower(): p for p in Product.objects.all()}
        self.collections = _options(
            Order.Collection.choices, {"已回款": "paid", "未回款": "unpaid", "部分回款": "partial"}
        )

    def read_cell(self, key, value):
        wan = "万" in self.units.get(key, "")
        if key in ("unit_price", "amount", "collected_amount"):
            return parse.parse_amount(value, unit_wan=wan)
        if key == "quantity":
            try:
                quantity = Decimal(parse.text(value).replace(",", ""))
            except ArithmeticError:
                raise ValueError(_("Enter a number.")) from None
            if quantity <= 0:
                raise ValueError(_("The quantity must be above 0."))
            return quantity
        if key in ("order_date", "collected_on"):
            return parse.parse_date(value)
        if key == "collection":
            return parse.choice(value, self.collections)
        if key == "owner":
            return self.user(value)
        return parse.text(value)

    def read(self, number, cells):
        row = super().read(number, cells)
        if "owner" in row.values:
            row.values["owner_id"] = row.values["owner"].pk
        return row

    def check(self, plan):
        v = plan.row.values
        if plan.match_id is None and not (v.get("product") or v.get("amount") is not None):
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("product").label),
                    _("Name the product or give the amount."),
                )
            )
        owner = v.get("owner")
        others = owner is not None and owner.pk != self.actor.pk and owner.pk not in self.assignable
        if others and (plan.match_id is None or "owner_id" in plan.changes):
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("owner").label),
                    _("You cannot credit orders to this person."),
                )
            )

    def _line(self, v: dict) -> dict:
        """The order line of a row: a known product (its list price unless a price is given),
        else the text as the description; a row with only an amount is one line of it."""
        name = v.get("product", "")
        product = self.products.get(clean_text(name).lower()) if name else None
        quantity = v.get("quantity") or Decimal(1)
        price = v.get("unit_price")
        if price is None and v.get("amount") is not None:
            price = (v["amount"] / quantity).quantize(Decimal("0.01"))
        if price is None and product is not None:
            price = product.unit_price
        return {
            "product": product,
            "description": "" if product else (name or _("order")),
            "quantity": quantity,
            "unit_price": price,
        }

    def write(self, batch, analysis):
        from kehu.customers.models import Customer
        from kehu.sales import services

        created, updated = [], []
        groups: dict[tuple, list] = defaultdict(list)
        for plan in analysis.plans:
            if plan.action == "create":
                v = plan.row.values
                key = (v["customer_id"], v.get("number") or f"row {plan.row.number}")
                groups[key].append(v)
        for (customer_id, _key), rows in groups.items():
            first = rows[0]
            data = {
                k: first[k]
                for k in ("order_date", "number", "owner", "collected_amount", "collected_on")
                if k in first
            }
            data["notes"] = "；".join(r["notes"] for r in rows if r.get("notes"))
            lines = [self._line(r) for r in rows]
            if first.get("collection") == "paid" and "collected_amount" not in first:
                data["collected_amount"] = (
                    sum(
                        (ln["quantity"] * ln["unit_price"] if ln["unit_price"] is not None else 0)
                        for ln in lines
                    )
                    or None
                )
            order = services.create_order(self.actor, Customer(pk=customer_id), data, lines)
            created.append(order.pk)
        for plan in analysis.plans:
            if plan.action != "update" or not plan.changes:
                continue
            order = self.model.objects.get(pk=plan.match_id)
            stored = {
                "order_date": order.order_date,
                "number": order.number,
                "owner": order.owner,
                "collected_amount": order.collected_amount,
                "collected_on": order.collected_on,
                "notes": order.notes,
            }
            v = plan.row.values
            data = {**stored, **{k: v[k] for k in stored if k in v}}
            # the status typed over an exported sheet wins over the amount left beside it
            if "collection" in plan.changes and "collected_amount" not in plan.changes:
                if v["collection"] == "paid":
                    data["collected_amount"] = order.amount
                elif v["collection"] == "unpaid":
                    data["collected_amount"] = 0
            lines = [
                {
                    "product": line.product,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in order.lines.select_related("product")
            ]
            before = {k: plan.changes[k][0] for k in plan.changes}
            services.update_order(self.actor, order, data, lines, version=order.version)
            updated.append((order.pk, before))
        self.record(batch, created, updated)
        return {"created": len(created), "updated": len(updated)}

    def undo(self, batch: ImportBatch) -> None:
        """Through the services, so that the customers' purchase totals follow."""
        from kehu.sales import services

        for order in self.model.objects.filter(pk__in=in_values(created_ids(batch))):
            services.delete_order(self.actor, order)
        customers = set()
        for pk, before in batch.records.filter(action=ImportRecord.Action.UPDATE).values_list(
            "object_id", "before"
        ):
            before = _loads(before)
            self.model.objects.filter(pk=pk).update(**before)
            customers.update(self.model.objects.filter(pk=pk).values_list("customer_id", flat=True))
        services.refresh_totals(customers)


def _loads(before):
    import json

    return json.loads(before) if isinstance(before, str) else before


def check_untouched(batch: ImportBatch) -> None:
    """Orders an import created that were changed since (edited, money collected) are not
    undone silently."""
    from kehu.sales.models import Order

    if Order.objects.filter(pk__in=in_values(created_ids(batch)), version__gt=1).exists():
        raise ImportRefused(
            _("Orders of this import have changed since: undoing it would lose that work.")
        )
