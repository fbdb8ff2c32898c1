"""Keyset pages, compared with a plain Python sort of the same rows, NULLs included."""

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kehu.core.models import AuditEvent
from kehu.core.paging import encode_cursor, keyset_page
from kehu.customers.models import Customer

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)

# Small pools of values so that ties (the same value on several rows) are common.
COLUMNS = {
    "satisfaction": st.one_of(st.none(), st.integers(1, 5)),
    "score": st.one_of(
        st.none(), st.sampled_from([Decimal("0.00"), Decimal("50.50"), Decimal("99.99")])
    ),
    "last_contact_at": st.one_of(
        st.none(), st.integers(0, 3).map(lambda n: T0 + timedelta(minutes=n, microseconds=n))
    ),
}


def python_order(rows, column, ascending):
    """What the database does: (column, id), NULLs smallest on SQLite and largest on
    PostgreSQL; descending is the exact reverse."""
    nulls_smallest = connection.vendor == "sqlite"

    def key(row):
        value = getattr(row, column)
        null_rank = (0 if nulls_smallest else 1) if value is None else (1 if nulls_smallest else 0)
        return (null_rank, value if value is not None else 0, row.pk)

    ordered = sorted(rows, key=key)
    return ordered if ascending else ordered[::-1]


def walk(qs, column, ascending, size):
    pages = [keyset_page(qs, column, ascending, size)]
    while pages[-1].has_next:
        pages.append(keyset_page(qs, column, ascending, size, after=pages[-1].next_cursor))
    return pages


class KeysetPagingTests(TestCase):
    @settings(max_examples=30, deadline=None)
    @given(
        data=st.data(),
        column=st.sampled_from(sorted(COLUMNS)),
        size=st.integers(1, 6),
        ascending=st.booleans(),
    )
    def test_pages_walk_every_row_once_in_sorted_order_and_back(
        self, data, column, size, ascending
    ):
        values = data.draw(st.lists(COLUMNS[column], max_size=20), label="values")
        Customer.objects.all().delete()
        Customer.objects.bulk_create(
            [Customer(name=f"客户{i}", **{column: v}) for i, v in enumerate(values)]
        )
        qs = Customer.objects.all()
        expected = [c.pk for c in python_order(list(qs), column, ascending)]

        pages = walk(qs, column, ascending, size)
        assert [c.pk for page in pages for c in page.rows] == expected
        assert all(len(p.rows) == size for p in pages[:-1])
        assert not pages[0].has_prev
        assert pages[0].total == len(values)

        # and backwards from the last page gives every earlier page back
        for earlier, later in zip(reversed(pages[:-1]), reversed(pages[1:]), strict=True):
            back = keyset_page(qs, column, ascending, size, before=later.prev_cursor)
            assert [c.pk for c in back.rows] == [c.pk for c in earlier.rows]

    @settings(max_examples=30, deadline=None)
    @given(
        values=st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=25),
        size=st.integers(1, 6),
        ascending=st.booleans(),
    )
    def test_an_integer_column_with_nulls(self, values, size, ascending):
        AuditEvent.objects.all().delete()
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(action="create", model="x", object_id=1, object_repr="x", customer_id=v)
                for v in values
            ]
        )
        qs = AuditEvent.objects.all()
        expected = [e.pk for e in python_order(list(qs), "customer_id", ascending)]
        pages = walk(qs, "customer_id", ascending, size)
        assert [e.pk for page in pages for e in page.rows] == expected

    def test_paging_by_id_alone(self):
        Customer.objects.bulk_create([Customer(name=f"客户{i}") for i in range(7)])
        pages = walk(Customer.objects.all(), "pk", False, 3)
        assert [len(p.rows) for p in pages] == [3, 3, 1]
        pks = [c.pk for p in pages for c in p.rows]
        assert pks == sorted(pks, reverse=True)

    def test_a_garbled_cursor_starts_from_the_top(self):
        Customer.objects.bulk_create([Customer(name=f"客户{i}") for i in range(3)])
        qs = Customer.objects.all()
        garbage = ["%%%not-a-cursor", "bm90IGpzb24", encode_cursor("x", "y")]
        # a well-formed cursor from another sort (an old link, a saved view)
        garbage.append(encode_cursor("hangzhouyunfan", 1))
        garbage.append(base64.urlsafe_b64encode(b"[[1], 1]").decode())  # a list as the value
        for column in ("score", "last_contact_at", "satisfaction"):
            for cursor in garbage:
                page = keyset_page(qs, column, True, 10, after=cursor)
                assert len(page.rows) == 3, (column, cursor)
                page = keyset_page(qs, column, True, 10, before=cursor)
                assert len(page.rows) == 3, (column, cursor)

    def test_the_total_is_capped(self):
        Customer.objects.bulk_create([Customer(name=f"客户{i}") for i in range(12)])
        page = keyset_page(Customer.objects.all(), "pk", True, 5, count_cap=10)
        assert (page.total, page.total_is_capped) == (10, True)
        page = keyset_page(Customer.objects.all(), "pk", True, 5, count_cap=20)
        assert (page.total, page.total_is_capped) == (12, False)

    def test_an_empty_list_has_no_pages_either_way(self):
        page = keyset_page(Customer.objects.all(), "name_pinyin", True, 5)
        assert (page.rows, page.has_next, page.has_prev, page.total) == ([], False, False, 0)


def test_id_table_takes_repeated_ids(db):
    """plan_all names a customer once per cadence rule; PostgreSQL's COPY refused the repeat."""
    from django.db import connection

    from kehu.core.bulk import id_table

    with id_table([3, 1, 3, 2, 1]) as name, connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {name} ORDER BY id")
        assert [r[0] for r in cursor.fetchall()] == [1, 2, 3]
