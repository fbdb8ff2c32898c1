"""Pivot: any two dimensions of a source (customers, deals, orders, interactions) against a
measure (count, or the sum or average of an amount), as one GROUP BY over the actor's visible
rows. Each dimension keeps its MAX_VALUES largest values (by count); the rest add up as
"other", so a dimension with thousands of values (owners, months of years) stays a table a
person can read and a chart ECharts can draw."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import access
from kehu.accounts.models import Team, User
from kehu.customers.models import Channel, Customer, Industry
from kehu.followups.models import Interaction, Method
from kehu.pipeline.models import Deal, Stage
from kehu.sales.models import Order

MAX_VALUES = 30
OTHER = "\0other"  # the key of the "other" bucket (never a real value)
NONE = "\0none"


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    path: str  # the ORM path grouped by ("month" is truncated from the source's date)
    names: object = None  # a model whose names label the ids, or {value: label}


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    model: type
    date_field: str
    amounts: dict  # key → (label, ORM path)
    dimensions: dict = field(default_factory=dict)


def _choices(choices) -> dict:
    return dict(choices)


def _dims(*dims: Dimension) -> dict:
    return {d.key: d for d in dims}


def _customer_dims(prefix: str) -> list[Dimension]:
    return [
        Dimension("tier", gettext_lazy("tier"), f"{prefix}tier"),
        Dimension("status", gettext_lazy("status"), f"{prefix}status", Customer.Status.choices),
        Dimension("industry", gettext_lazy("industry"), f"{prefix}industry_id", Industry),
        Dimension("region", gettext_lazy("region"), f"{prefix}province"),
    ]


SOURCES = {
    s.key: s
    for s in [
        Source(
            "customers",
            gettext_lazy("customers"),
            Customer,
            "created_at",
            {
                "cooperation_amount": (gettext_lazy("cooperation amount"), "cooperation_amount"),
                "annual_budget": (gettext_lazy("annual budget"), "annual_budget"),
                "purchase_total": (gettext_lazy("purchases (CNY)"), "purchase_total"),
            },
            _dims(
                *_customer_dims(""),
                Dimension("owner", gettext_lazy("owner"), "owner_id", User),
                Dimension("team", gettext_lazy("team"), "team_id", Team),
                Dimension("channel", gettext_lazy("source channel"), "channel_id", Channel),
                Dimension("month", gettext_lazy("month created"), "created_at"),
            ),
        ),
        Source(
            "deals",
            gettext_lazy("deals"),
            Deal,
            "created_at",
            {"amount": (gettext_lazy("amount (CNY)"), "amount")},
            _dims(
                Dimension("stage", gettext_lazy("stage"), "stage_id", Stage),
                Dimension("owner", gettext_lazy("owner"), "owner_id", User),
                Dimension("team", gettext_lazy("team"), "team_id", Team),
                Dimension("channel", gettext_lazy("source channel"), "channel_id", Channel),
                *_customer_dims("customer__"),
                Dimension("month", gettext_lazy("month created"), "created_at"),
            ),
        ),
        Source(
            "orders",
            gettext_lazy("orders"),
            Order,
            "order_date",
            {
                "amount": (gettext_lazy("amount (CNY)"), "amount"),
                "margin": (gettext_lazy("margin (CNY)"), "margin"),
                "collected_amount": (gettext_lazy("collected (CNY)"), "collected_amount"),
            },
            _dims(
                Dimension("owner", gettext_lazy("owner"), "owner_id", User),
                Dimension("team", gettext_lazy("team"), "team_id", Team),
                Dimension(
                    "collection",
                    gettext_lazy("collection"),
                    "collection",
                    Order.Collection.choices,
                ),
                Dimension(
                    "channel", gettext_lazy("source channel"), "customer__channel_id", Channel
                ),
                *_customer_dims("customer__"),
                Dimension("month", gettext_lazy("order month"), "order_date"),
            ),
        ),
        Source(
            "interactions",
            gettext_lazy("interactions"),
            Interaction,
            "at",
            {},
            _dims(
                Dimension("method", gettext_lazy("method"), "method", Method.choices),
                Dimension("owner", gettext_lazy("logged by"), "user_id", User),
                Dimension("team", gettext_lazy("team"), "customer__team_id", Team),
                Dimension(
                    "channel", gettext_lazy("source channel"), "customer__channel_id", Channel
                ),
                *_customer_dims("customer__"),
                Dimension("month", gettext_lazy("month"), "at"),
            ),
        ),
    ]
}
MEASURES = {
    "count": gettext_lazy("count"),
    "sum": gettext_lazy("sum"),
    "avg": gettext_lazy("average"),
}


class PivotError(ValueError):
    """A choice the pivot cannot make (shown as a message naming it)."""


@dataclass
class Spec:
    source: str
    rows: str
    columns: str = ""  # one dimension is enough
    measure: str = "count"
    amount: str = ""
    since: date | None = None
    until: date | None = None


def validate(spec: Spec) -> Source:
    source = SOURCES.get(spec.source)
    if source is None:
        raise PivotError(_("Choose a source: customers, deals, orders or interactions."))
    for name, key in ((_("rows"), spec.rows), (_("columns"), spec.columns)):
        if key and key not in source.dimensions:
            raise PivotError(
                _("“%(dim)s” is not a dimension of %(source)s; choose one of: %(choices)s.")
                % {
                    "dim": key,
                    "source": source.label,
                    "choices": ", ".join(str(d.label) for d in source.dimensions.values()),
                }
            )
        if name == _("rows") and not key:
            raise PivotError(_("Choose the dimension of the rows."))
    if spec.columns and spec.columns == spec.rows:
        raise PivotError(_("Choose two different dimensions."))
    if spec.measure not in MEASURES:
        raise PivotError(_("Choose a measure: count, sum or average."))
    if spec.measure != "count":
        if not source.amounts:
            raise PivotError(
                _("%(source)s have no amount to add up; count them.") % {"source": source.label}
            )
        if spec.amount not in source.amounts:
            raise PivotError(
                _("Choose the amount to add up: %(choices)s.")
                % {"choices": ", ".join(str(label) for label, _p in source.amounts.values())}
            )
    if spec.since and spec.until and spec.until < spec.since:
        raise PivotError(_("The period ends before it starts."))
    return source


def _expr(dim: Dimension):
    # a DateTimeField truncates in the current time zone (an aware datetime, read back as
    # its local date); a DateField to its first day
    return TruncMonth(dim.path) if dim.key == "month" else F(dim.path)


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def rows_of(actor, source: Source, spec: Spec):
    rows = access.visible(actor, source.model)
    date_field = source.model._meta.get_field(source.date_field)
    is_datetime = date_field.get_internal_type() == "DateTimeField"
    if spec.since:
        value = _start(spec.since) if is_datetime else spec.since
        rows = rows.filter(**{f"{source.date_field}__gte": value})
    if spec.until:
        if is_datetime:
            rows = rows.filter(**{f"{source.date_field}__lt": _start(spec.until + timedelta(1))})
        else:
            rows = rows.filter(**{f"{source.date_field}__lte": spec.until})
    return rows


@dataclass
class Result:
    spec: Spec
    source: Source
    row_dim: Dimension
    col_dim: Dimension | None
    row_keys: list
    col_keys: list
    row_labels: dict
    col_labels: dict
    cells: dict  # (row key, col key) → (count, sum)
    groups: int  # distinct (row, column) pairs before capping

    def value(self, n: int, s) -> Decimal | int | None:
        if self.spec.measure == "count":
            return n
        if self.spec.measure == "sum":
            return (s or Decimal(0)).quantize(Decimal("0.01"))
        return (Decimal(s or 0) / n).quantize(Decimal("0.01")) if n else None

    def _add(self, pairs):
        n = sum(p[0] for p in pairs)
        s = sum((p[1] or Decimal(0) for p in pairs), Decimal(0))
        return self.value(n, s)

    def cell(self, r, c):
        pair = self.cells.get((r, c))
        return self.value(*pair) if pair else None

    def row_total(self, r):
        return self._add([v for (rk, _c), v in self.cells.items() if rk == r])

    def col_total(self, c):
        return self._add([v for (_r, ck), v in self.cells.items() if ck == c])

    def total(self):
        return self._add(list(self.cells.values()))

    @property
    def measure_label(self) -> str:
        if self.spec.measure == "count":
            return str(MEASURES["count"])
        return f"{MEASURES[self.spec.measure]} · {self.source.amounts[self.spec.amount][0]}"

    def table(self) -> list[dict]:
        return [
            {
                "key": r,
                "label": self.row_labels[r],
                "cells": [self.cell(r, c) for c in self.col_keys],
                "total": self.row_total(r),
            }
            for r in self.row_keys
        ]


def run(actor, spec: Spec) -> Result:
    """The cross table: one GROUP BY (rows, columns) with a count and, for sums and averages,
    the sum of the amount (an average of a bucket is its sum over its count, so "other" and
    the totals stay exact)."""
    source = validate(spec)
    row_dim = source.dimensions[spec.rows]
    col_dim = source.dimensions[spec.columns] if spec.columns else None
    group = {"r": _expr(row_dim)}
    if col_dim:
        group["c"] = _expr(col_dim)
    aggregates = {"n": Count("pk")}
    if spec.measure != "count":
        aggregates["s"] = Sum(source.amounts[spec.amount][1])
    raw = list(rows_of(actor, source, spec).order_by().values(**group).annotate(**aggregates))
    cells_raw: dict = {}
    row_weight: dict = {}
    col_weight: dict = {}
    for item in raw:
        r = _key(item["r"])
        c = _key(item["c"]) if col_dim else ""
        n, s = item["n"], item.get("s")
        cells_raw[(r, c)] = (n, s)
        row_weight[r] = row_weight.get(r, 0) + n
        col_weight[c] = col_weight.get(c, 0) + n
    row_keys = _top(row_weight, row_dim)
    col_keys = _top(col_weight, col_dim) if col_dim else [""]
    kept_rows, kept_cols = set(row_keys), set(col_keys)
    cells: dict = {}
    for (r, c), (n, s) in cells_raw.items():
        key = (r if r in kept_rows else OTHER, c if c in kept_cols else OTHER)
        old_n, old_s = cells.get(key, (0, None))
        cells[key] = (old_n + n, None if s is None and old_s is None else (old_s or 0) + (s or 0))
    if any(k[0] == OTHER for k in cells):
        row_keys.append(OTHER)
    if col_dim and any(k[1] == OTHER for k in cells):
        col_keys.append(OTHER)
    return Result(
        spec=spec,
        source=source,
        row_dim=row_dim,
        col_dim=col_dim,
        row_keys=row_keys,
        col_keys=col_keys,
        row_labels=_labels(row_dim, row_keys),
        col_labels=_labels(col_dim, col_keys) if col_dim else {"": str(MEASURES[spec.measure])},
        cells=cells,
        groups=len(raw),
    )


def _key(value):
    if value is None or value == "":
        return NONE
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _top(weights: dict, dim: Dimension) -> list:
    """The MAX_VALUES largest values, in their natural order for months and tiers, by size
    otherwise."""
    top = sorted(weights, key=lambda k: (-weights[k], str(k)))[:MAX_VALUES]
    if dim.key in ("month", "tier", "stage"):
        return sorted(top, key=lambda k: (k == NONE, str(k) if dim.key != "stage" else 0))
    return top


def _labels(dim: Dimension, keys: list) -> dict:
    labels = {OTHER: _("other"), NONE: "—"}
    real = [k for k in keys if k not in (OTHER, NONE)]
    if dim.key == "month":
        labels.update({k: f"{k:%Y-%m}" for k in real})
    elif isinstance(dim.names, type):
        names = {o.pk: str(o) for o in dim.names._default_manager.filter(pk__in=real)}
        labels.update({k: names.get(k, str(k)) for k in real})
    elif dim.names:
        choices = _choices(dim.names)
        labels.update({k: str(choices.get(k, k)) for k in real})
    else:
        labels.update({k: str(k) for k in real})
    if dim.key == "stage":  # stages in their pipeline order, whatever their counts
        order = {pk: i for i, pk in enumerate(Stage.objects.values_list("pk", flat=True))}
        keys.sort(key=lambda k: (k == OTHER, k == NONE, order.get(k, 0)))
    return {k: labels[k] for k in keys}


def chart(result: Result) -> dict:
    """A stacked bar: a bar per row value, a stack part per column value."""
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 10, "right": 20, "top": 40, "bottom": 10, "containLabel": True},
        "xAxis": {"type": "category", "data": [result.row_labels[r] for r in result.row_keys]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": result.col_labels[c],
                "type": "bar",
                "stack": "all",
                "data": [_number(result.cell(r, c)) for r in result.row_keys],
            }
            for c in result.col_keys
        ],
    }


def _number(value):
    if value is None:
        return 0
    return float(value) if isinstance(value, Decimal) else value
