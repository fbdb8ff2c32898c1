"""The raw values criteria score, read set-based for every customer at once.

A metric is one small function from the customer columns (NumPy arrays aligned with `ids`) to
one array of raw values, NaN where unknown. The purchase metrics read the totals kehu.sales
keeps on the customer row from its orders (sum, count, margin, first and last order), plus the
historical amount brought from the sheets for business before Kehu.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from .models import CustomerRating

# Customer columns the metrics read, fetched in one query.
COLUMNS = [
    "cooperation_amount",
    "annual_budget",
    "satisfaction",
    "last_contact_at",
    "created_at",
    "purchase_total",
    "purchase_count",
    "purchase_margin",
    "first_purchase_on",
    "last_purchase_on",
]


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


@metric("purchase_amount", _("purchase amount: orders plus history before Kehu (CNY)"))
def purchase_amount(cols: Columns) -> np.ndarray:
    return np.nan_to_num(cols["cooperation_amount"]) + np.nan_to_num(cols["purchase_total"])


@metric("purchase_frequency", _("purchase frequency (orders a year)"))
def purchase_frequency(cols: Columns) -> np.ndarray:
    years = np.maximum(_days_since(cols["first_purchase_on"], cols.now) / 365.25, 1.0)
    out = cols["purchase_count"] / years
    return np.where(cols["purchase_count"] > 0, out, 0.0)


@metric("purchase_recency_days", _("days since the last order"), higher_is_better=False)
def purchase_recency_days(cols: Columns) -> np.ndarray:
    return _days_since(cols["last_purchase_on"], cols.now)


@metric("profit", _("profit: margin of all orders (CNY)"))
def profit(cols: Columns) -> np.ndarray:
    return cols["purchase_margin"]


@metric("potential_revenue", _("potential revenue: annual budget (CNY)"))
def potential_revenue(cols: Columns) -> np.ndarray:
    return cols["annual_budget"]


@metric("satisfaction", _("satisfaction (1–5)"))
def satisfaction(cols: Columns) -> np.ndarray:
    return cols["satisfaction"]


@metric("recency_days", _("days since last contact"), higher_is_better=False)
def recency_days(cols: Columns) -> np.ndarray:
    return _days_since(cols["last_contact_at"], cols.now)


@metric("loyalty_years", _("years as a customer (since the first order, else since added)"))
def loyalty_years(cols: Columns) -> np.ndarray:
    since = np.where(
        np.isnan(cols["first_purchase_on"]), cols["created_at"], cols["first_purchase_on"]
    )
    return _days_since(since, cols.now) / 365.25


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
    """Every customer's columns as float arrays ordered by id, in one query whose conversions
    (decimal → float, datetime → POSIX seconds) happen in the database: through the ORM's
    converters a million rows took 25 s, most of it parsing decimals and datetimes in Python."""
    vendor = connection.vendor
    epoch = "unixepoch({})" if vendor == "sqlite" else "EXTRACT(EPOCH FROM {})::float8"
    number = "CAST({} AS REAL)" if vendor == "sqlite" else "{}::float8"
    q = connection.ops.quote_name
    select = ", ".join(
        (epoch if name.endswith(("_at", "_on")) else number).format(q(name)) for name in COLUMNS
    )
    sql = f"SELECT {q('id')}, {select} FROM {q(Customer._meta.db_table)}"
    params: list = []
    if queryset is not None:
        inner, params = queryset.order_by().values("pk").query.sql_with_params()
        sql += f" WHERE {q('id')} IN ({inner})"
    with connection.cursor() as cursor:
        cursor.execute(sql + f" ORDER BY {q('id')}", params)
        data = np.array(cursor.fetchall(), dtype=float).reshape(-1, len(COLUMNS) + 1)
    return Columns(
        ids=data[:, 0].astype(np.int64),
        values={name: data[:, i] for i, name in enumerate(COLUMNS, start=1)},
        now=now or timezone.now(),
    )


def raw_values(cols: Columns, keys) -> dict[str, np.ndarray]:
    return {key: METRICS[key].read(cols) for key in keys}
