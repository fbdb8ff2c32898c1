"""Keyset pagination for big lists, with a capped total.

OFFSET pagination reads and throws away every row before the page; at a million customers a
deep page is slow. Here a page is "the next N rows after (sort value, id)", which an index on
(sort column, id) answers directly whatever the depth. NULLs sort where the database puts them
(smallest on SQLite, largest on PostgreSQL), and the cursor conditions follow suit.
"""

import base64
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q, QuerySet


@dataclass
class Page:
    rows: list
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int = 0
    total_is_capped: bool = False
    size: int = 50
    extra: dict = field(default_factory=dict)

    @property
    def has_next(self):
        return self.next_cursor is not None

    @property
    def has_prev(self):
        return self.prev_cursor is not None


def encode_cursor(value, pk) -> str:
    if value is not None and not isinstance(value, (int, str, float)):
        value = value.isoformat() if hasattr(value, "isoformat") else str(value)
    raw = json.dumps([value, pk], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, model_field) -> tuple:
    """Returns (value, pk) or raises ValueError on anything malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        pk = int(pk)
    except Exception as exc:  # noqa: BLE001 - any garbage in a URL is just a bad cursor
        raise ValueError("bad cursor") from exc
    if value is not None and model_field is not None:
        try:
            value = model_field.to_python(value)
        except (ValidationError, TypeError, ValueError) as exc:  # "hangzhou…" as a score
            raise ValueError("bad cursor") from exc
    return value, pk


def _after(column: str, value, pk, ascending: bool, nulls_smallest: bool, nullable: bool) -> Q:
    """Rows after (value, pk) in the order (column, pk), both ascending or both descending.

    Written as `column >= v AND (column > v OR pk > id)` rather than the textbook
    `column > v OR (column = v AND pk > id)`: the leading range lets SQLite seek the
    (column, id) index instead of scanning it (64 ms → 0.3 ms at row 500,000 of a million)."""
    gt = "gt" if ascending else "lt"
    gte = "gte" if ascending else "lte"
    nulls_first = nulls_smallest == ascending
    if column == "pk":
        return Q(**{f"pk__{gt}": pk})
    if value is None:
        cond = Q(**{f"{column}__isnull": True, f"pk__{gt}": pk})
        return cond | Q(**{f"{column}__isnull": False}) if nulls_first else cond
    cond = Q(**{f"{column}__{gte}": value}) & (
        Q(**{f"{column}__{gt}": value}) | Q(**{f"pk__{gt}": pk})
    )
    if nullable and not nulls_first:
        cond |= Q(**{f"{column}__isnull": True})
    return cond


def capped_count(qs: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    cap = cap or settings.KEHU_COUNT_CAP
    n = qs.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def keyset_page(
    qs: QuerySet,
    column: str,
    ascending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
    count: bool = True,
    count_cap: int | None = None,
) -> Page:
    """`column` is a concrete field of qs.model (or "pk"). Invalid cursors start from the top."""
    nulls_smallest = connections[qs.db].vendor == "sqlite"
    model_field = None if column == "pk" else qs.model._meta.get_field(column)
    attname = "pk" if column == "pk" else model_field.attname

    def order(asc: bool):
        sign = "" if asc else "-"
        if column == "pk":
            return [f"{sign}pk"]
        return [f"{sign}{column}", f"{sign}pk"]

    cursor, backwards = (before, True) if before else (after, False)
    direction = ascending != backwards
    page_qs = qs.order_by(*order(direction))
    if cursor:
        try:
            value, pk = decode_cursor(cursor, model_field)
        except ValueError:
            cursor = None
        else:
            # the direction of this query (reversed when going backwards) decides which end the
            # NULLs are at, so the same condition serves both ways
            page_qs = page_qs.filter(
                _after(
                    column,
                    value,
                    pk,
                    direction,
                    nulls_smallest,
                    getattr(model_field, "null", False),
                )
            )
    rows = list(page_qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def key(row):
        return encode_cursor(None if column == "pk" else getattr(row, attname), row.pk)

    page = Page(rows=rows, size=size)
    if rows:
        if backwards:
            page.next_cursor = key(rows[-1])
            page.prev_cursor = key(rows[0]) if more else None
        else:
            page.next_cursor = key(rows[-1]) if more else None
            page.prev_cursor = key(rows[0]) if cursor else None
    if count:
        page.total, page.total_is_capped = capped_count(qs, count_cap)
    return page
