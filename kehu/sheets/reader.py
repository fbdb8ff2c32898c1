"""Reading the sheets people upload: .xlsx/.xls/.ods through python-calamine (fast, streaming),
.csv in UTF-8 (with or without BOM) or GBK; then finding the header row under any title rows
and mapping its columns to fields by their Chinese or English names."""

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from kehu.core.text import clean_text

SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
EXTENSIONS = SPREADSHEET_EXTENSIONS | {".csv", ".txt"}
HEADER_SCAN_ROWS = 20


class SheetError(ValueError):
    """The file itself cannot be read: the message is for the person who uploaded it."""


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030 (a superset of GBK) when that fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SheetError(_("The CSV file is neither UTF-8 nor GBK text.")) from exc


def _delimiter(content: str) -> str:
    """Comma, tab or semicolon: the one that splits the most of the first lines into the same
    number of cells (quotes respected), comma on a tie. Counting characters is not enough:
    amounts hold commas (1,200,000) and tag cells semicolons; and csv.Sniffer guesses the quote
    character from one quoted cell and gets the sheets people keep wrong."""
    head = "\n".join(content[:16384].splitlines()[:20])
    best, best_score = ",", 0
    for candidate in (",", "\t", ";"):
        try:
            widths = Counter(
                len(row)
                for row in csv.reader(io.StringIO(head, newline=""), delimiter=candidate)
                if len(row) > 1
            )
        except csv.Error:  # not this one; reading the file says what is wrong with it
            continue
        score = max(widths.values(), default=0)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_rows(data: bytes) -> Iterator[list]:
    content = decode_csv(data)
    # newline="": a carriage return alone ends a line too (old Mac files) and one inside a
    # quoted cell stays in it, as the csv module expects
    rows = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(content))
    try:
        for row in rows:
            yield [cell if cell != "" else None for cell in row]
    except csv.Error as exc:
        raise SheetError(
            _("This file could not be read as a spreadsheet: %(error)s")
            % {"error": f"line {rows.line_num}: {exc}"}
        ) from exc


def _sheet_rows(data: bytes) -> Iterator[list]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        for row in sheet.iter_rows():  # an empty cell is "" to calamine, None to us
            yield [cell if cell != "" else None for cell in row] if "" in row else row
    except CalamineError as exc:
        raise SheetError(
            _("This file could not be read as a spreadsheet: %(error)s") % {"error": exc}
        ) from exc


def read_rows(data: bytes, filename: str) -> Iterator[list]:
    """Every row of the first sheet, as lists of cell values (None for an empty cell)."""
    ext = os.path.splitext(filename.lower())[1]
    if ext not in EXTENSIONS:
        raise SheetError(
            _("Kehu reads .xlsx, .xls, .ods and .csv files, not “%(ext)s”.")
            % {"ext": ext or filename}
        )
    if ext in SPREADSHEET_EXTENSIONS:
        return _sheet_rows(data)
    return _csv_rows(data)


# --- headers -----------------------------------------------------------------------------
_HEADER_NOISE_RE = re.compile(r"[\s*＊:：_\-—·.。]+|（.*?）|\(.*?\)|\[.*?]|【.*?】")


def header_key(value) -> str:
    """A header as compared with the synonyms: 联系方式 (手机) / 联系方式* / "Phone " → the
    words alone, lower case."""
    return _HEADER_NOISE_RE.sub("", clean_text(str(value or "")).lower())


def header_unit(value) -> str:
    """The unit a header names in brackets: 历史合作金额（万元） → "万元"."""
    m = re.search(r"[（(]\s*([^)）]+?)\s*[)）]", clean_text(str(value or "")))
    return m[1] if m else ""


@dataclass(frozen=True)
class Mapping:
    header_row: int  # 0-based index of the header in the file's rows
    headers: list[str]  # the header cells as typed
    fields: list[str | None]  # per column: the field it fills, or None (ignored)

    def as_dict(self) -> dict:
        return {"header_row": self.header_row, "headers": self.headers, "fields": self.fields}


def match_header(value, synonyms: dict[str, str]) -> str | None:
    """`synonyms` maps header_key(name) → field."""
    key = header_key(value)
    if not key:
        return None
    return synonyms.get(key)


def guess_mapping(rows: Sequence[list], synonyms: dict[str, str]) -> Mapping:
    """The header is the row among the first few that names the most known fields (title rows
    and merged cells above it name none); each of its columns maps to the field it names, the
    first column naming a field taking it."""
    best, best_hits = 0, -1
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = len({f for f in (match_header(c, synonyms) for c in row) if f})
        if hits > best_hits:
            best, best_hits = index, hits
    if best_hits <= 0:
        raise SheetError(
            _(
                "No header row found: none of the first %(n)s rows names a known column "
                "(for example 客户名称 or Customer)."
            )
            % {"n": HEADER_SCAN_ROWS}
        )
    headers = [text_header(c) for c in rows[best]]
    fields: list[str | None] = []
    taken: set[str] = set()
    for cell in rows[best]:
        field = match_header(cell, synonyms)
        if field in taken:
            field = None
        if field:
            taken.add(field)
        fields.append(field)
    return Mapping(best, headers, fields)


def text_header(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))
