from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from kehu.core.bulk import local_datetimes


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
