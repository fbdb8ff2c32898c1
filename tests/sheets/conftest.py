"""Sheets as people keep them, written in the tests: title rows, merged cells, GBK CSV."""

import csv
import io

import pytest
import xlsxwriter

from kehu.sheets import importer, services


def xlsx(rows, title=None, merge_title=True) -> bytes:
    """An .xlsx whose first rows may be a merged title, like the seed's 表1."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("客户信息")
    r = 0
    if title:
        if merge_title:
            sheet.merge_range(0, 0, 0, max(len(rows[0]) - 1, 1), title)
        else:
            sheet.write(0, 0, title)
        r = 2  # a blank row under the title
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for row in rows:
        for c, value in enumerate(row):
            if value is None:
                continue
            if hasattr(value, "year"):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write(r, c, value)
        r += 1
    book.close()
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def upload():
    def _upload(actor, data, filename="客户.xlsx"):
        return services.upload(actor, data, filename)

    return _upload


@pytest.fixture
def commit():
    def _commit(actor, batch, **choices):
        choices.setdefault("error", "skip")
        return importer.commit(actor, batch, choices)

    return _commit
