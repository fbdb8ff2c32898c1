"""Reading back what a page's export sends, the way a spreadsheet program would: the .xlsx by
python-calamine, every sheet by its name, or the CSV with the UTF-8 BOM Excel needs for Chinese;
each asserting the response is the download it claims to be."""

import csv
import io
import zipfile

from python_calamine import CalamineWorkbook


def xlsx_book(response) -> CalamineWorkbook:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return CalamineWorkbook.from_filelike(io.BytesIO(response.content))


def xlsx_sheets(response) -> dict[str, list[list]]:
    """Every sheet by its name, in the workbook's order."""
    book = xlsx_book(response)
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def sheet(response, index: int = 0) -> list[list]:
    return xlsx_book(response).get_sheet_by_index(index).to_python()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.getvalue()  # a streamed response reads once
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel needs
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def drop_downs(response, index: int = 0) -> str:
    """A sheet's XML, where its data validations (drop-downs) are."""
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        return book.read(f"xl/worksheets/sheet{index + 1}.xml").decode()
