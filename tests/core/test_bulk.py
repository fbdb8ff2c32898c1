from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from kehu.core.bulk import insert_rows, local_datetimes, staged
from kehu.customers.models import Customer
from kehu.sheets.importer import CUSTOMER_OWN, SHEET_COLUMNS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        datetime(2023, 10, 15, 9, 30),  # naive, from a sheet: Beijing time
        datetime(2023, 1, 1, 0, 0, 5, 120),
        datetime(2023, 10, 15, 9, 30, tzinfo=UTC),
        datetime(2023, 10, 15, 9, 30, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_bulk_datetimes_are_stored_as_the_orm_stores_them(value):
    shanghai = ZoneInfo("Asia/Shanghai")
    aware = value if value.tzinfo else value.replace(tzinfo=shanghai)
    assert local_datetimes(shanghai)(value) == connection.ops.adapt_datetimefield_value(aware)


# a customer row as the importer writes it: its own columns, those a sheet fills, the stamps
CUSTOMER_COLUMNS = [*CUSTOMER_OWN, *(column for _f, column, _d in SHEET_COLUMNS)]
CUSTOMER_COLUMNS += ["created_at", "updated_at", "created_by_id", "updated_by_id", "version"]


def _customer_row(people, pk: int, name: str) -> tuple:
    """A customer row in the importer's column order, with the value kinds it writes."""
    stamp = connection.ops.adapt_datetimefield_value(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    values = {
        "id": pk,
        "name": name,
        "kind": "company",
        "status": "lead",
        "tier": "A",
        "owner_id": people.rep.pk,
        "team_id": people.rep.team_id,
        "annual_budget": None,
        "cooperation_amount": "125000.00",
        "last_contact_at": local_datetimes()(datetime(2023, 10, 15, 9, 30)),
        "satisfaction": 4,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
    }
    return tuple(values.get(c, None if c.endswith("_id") else "") for c in CUSTOMER_COLUMNS)


def test_staged_rows_reach_the_table_as_rows_inserted_directly_do(people):
    insert_rows("customers_customer", CUSTOMER_COLUMNS, [_customer_row(people, 9001, "甲")])
    with staged("customers_customer", CUSTOMER_COLUMNS) as rows, connection.cursor() as cursor:
        rows.add([_customer_row(people, 9002, "乙"), _customer_row(people, 9003, "丙")])
        rows.move(cursor)
        rows.add([_customer_row(people, 9004, "丁")])  # the staging table was emptied
        rows.move(cursor)
    # columns the same in every row are given once
    shared = ["kind", "status", "tier", "cooperation_amount", "last_contact_at", "satisfaction"]
    shared += ["created_at", "updated_at", "version", "annual_budget"]
    row = dict(zip(CUSTOMER_COLUMNS, _customer_row(people, 9005, "戊"), strict=True))
    with (
        staged(
            "customers_customer",
            [c for c in CUSTOMER_COLUMNS if c not in shared],
            {c: row[c] for c in shared},
        ) as rows,
        connection.cursor() as cursor,
    ):
        rows.add([tuple(v for c, v in row.items() if c not in shared)])
        rows.move(cursor)
    kinds = "typeof({0}), {0}" if connection.vendor == "sqlite" else "{0}"
    columns = ", ".join(kinds.format(c) for c in CUSTOMER_COLUMNS if c not in ("id", "name"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM customers_customer ORDER BY id")
        stored = cursor.fetchall()
    assert [row[0] for row in stored] == [9001, 9002, 9003, 9004, 9005]
    assert len({row[1:] for row in stored}) == 1  # stored alike, to the storage class
    customer = Customer.objects.get(pk=9003)
    assert customer.cooperation_amount == Decimal("125000.00") and customer.satisfaction == 4


def test_a_rollback_takes_staged_rows_and_the_staging_table_away(people):
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        staged("customers_customer", CUSTOMER_COLUMNS) as rows,
        connection.cursor() as cursor,
    ):
        rows.add([_customer_row(people, 9001, "甲")])
        rows.move(cursor)
        raise RuntimeError("disk full")
    assert not Customer.objects.exists()
    with staged("customers_customer", CUSTOMER_COLUMNS) as rows:  # made afresh
        rows.add([_customer_row(people, 9002, "乙")])
        with connection.cursor() as cursor:
            rows.move(cursor)
    assert list(Customer.objects.values_list("pk", flat=True)) == [9002]
