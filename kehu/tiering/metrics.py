"""The raw values criteria score, read set-based for every customer at once.

A metric is one small function from the customer columns (NumPy arrays aligned with `ids`) to
one array of raw values, NaN where unknown. Until orders exist (the purchases issue) the
purchase metrics read the customer's own fields; when orders land, their functions read orders
and nothing else changes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from .models import CustomerRating

# Customer columns the metrics read, fetched in one query.
COLUMNS = ["cooperation_amount", "annual_budget", "satisfaction", "last_contact_at", "created_at"]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool
    read: Callable[["Columns"], np.ndarray]


@dataclass
class Columns:
    ids: np.ndarray
    values: dict[str, np.ndarray]
    now: datetime

    def __getitem__(self, name):
        return self.values[name]


METRICS: dict[str, Metric] = {}


def metric(key, label, higher_is_better=True):
    def register(fn):
        METRICS[key] = Metric(key, label, higher_is_better, fn)
        return fn

    return register


def _days_since(stamps: np.ndarray, now: datetime) -> np.ndarray:
    return (now.timestamp() - stamps) / 86400


@metric("purchase_amount", _("purchase amount (CNY)"))
def purchase_amount(cols: Columns) -> np.ndarray:
    return cols["cooperation_amount"]


@metric("potential_revenue", _("potential revenue: annual budget (CNY)"))
def potential_revenue(cols: Columns) -> np.ndarray:
    return cols["annual_budget"]


@metric("satisfaction", _("satisfaction (1–5)"))
def satisfaction(cols: Columns) -> np.ndarray:
    return cols["satisfaction"]


@metric("recency_days", _("days since last contact"), higher_is_better=False)
def recency_days(cols: Columns) -> np.ndarray:
    return _days_since(cols["last_contact_at"], cols.now)


@metric("loyalty_years", _("years as a customer"))
def loyalty_years(cols: Columns) -> np.ndarray:
    return _days_since(cols["created_at"], cols.now) / 365.25


def _rating(key: str):
    def read(cols: Columns) -> np.ndarray:
        out = np.full(len(cols.ids), np.nan)
        rows = np.array(
            CustomerRating.objects.filter(metric=key).values_list("customer_id", "value"),
            dtype=float,
        ).reshape(-1, 2)
        if len(rows):
            positions = np.searchsorted(cols.ids, rows[:, 0])
            found = (positions < len(cols.ids)) & (
                cols.ids[np.minimum(positions, len(cols.ids) - 1)] == rows[:, 0]
            )
            out[positions[found]] = rows[found, 1]
        return out

    return read


RATINGS = {
    "industry_growth": _("industry growth (manual rating 1–5)"),
    "cooperation_willingness": _("willingness to cooperate (manual rating 1–5)"),
}
for _key, _label in RATINGS.items():
    metric(_key, _label)(_rating(_key))


def read_columns(queryset=None, now: datetime | None = None) -> Columns:
    """Every customer's columns as arrays ordered by id (one query, values_list: no model
    instances). Datetimes become POSIX seconds, missing values NaN."""
    qs = (queryset if queryset is not None else Customer.objects.all()).order_by("pk")
    rows = list(qs.values_list("pk", *COLUMNS))
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = {}
    for i, name in enumerate(COLUMNS, start=1):
        if name.endswith("_at"):
            values[name] = np.fromiter(
                (r[i].timestamp() if r[i] is not None else np.nan for r in rows),
                dtype=float,
                count=len(rows),
            )
        else:
            values[name] = np.fromiter(
                (float(r[i]) if r[i] is not None else np.nan for r in rows),
                dtype=float,
                count=len(rows),
            )
    return Columns(ids=ids, values=values, now=now or timezone.now())


def raw_values(cols: Columns, keys) -> dict[str, np.ndarray]:
    return {key: METRICS[key].read(cols) for key in keys}
