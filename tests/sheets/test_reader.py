"""Reading uploaded sheets and finding their header (kehu.sheets.reader)."""

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.sheets.kinds import CUSTOMERS
from kehu.sheets.parse import text
from kehu.sheets.reader import (
    HEADER_SCAN_ROWS,
    SheetError,
    decode_csv,
    guess_mapping,
    header_key,
    header_unit,
    read_rows,
)

from .conftest import csv_bytes, xlsx

FAST = settings(max_examples=50, deadline=None)

TITLE = "表1 客户信息基础表"
HEADER = ["序号", "客户名称", "联系方式", "历史合作金额（万元）", "最后跟进时间", "标签", "备注"]
FIELDS = ["_ignore", "name", "phone", "cooperation_amount", "last_contact_at", "tags", "notes"]
ROWS = [
    ["1", "杭州云帆科技有限公司", "138-1234-5678", "12.5", "2023-10-15", "需求急迫、价格敏感", ""],
    [
        "2",
        "宁波海曙贸易有限公司",
        "13900001111",
        "3,000元",
        "2023年10月16日",
        "",
        "老客户; 年底续约",
    ],
]


@pytest.fixture(scope="module")
def synonyms():
    return CUSTOMERS.synonyms()


def as_read(rows):
    """What read_rows gives for rows written as text: empty cells are None."""
    return [[cell if cell != "" else None for cell in row] for row in rows]


def delimited(rows, delimiter, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


# --- spreadsheets -------------------------------------------------------------------------


def test_xlsx_under_a_merged_title_and_a_blank_row(synonyms):
    data = xlsx(
        [
            HEADER,
            [1, "杭州云帆科技有限公司", 13812345678, 12.5, date(2023, 10, 15), "需求急迫", None],
        ],
        title=TITLE,
    )
    rows = list(read_rows(data, "客户.xlsx"))
    assert len(rows) == 4
    assert rows[0][0] == TITLE and not any(rows[0][1:])  # the merged cells read as empty
    assert rows[1] == [None] * len(HEADER)
    assert rows[2] == HEADER
    number, name, phone, amount, last, tags, notes = rows[3]
    assert (text(number), name, text(phone), amount) == (
        "1",
        "杭州云帆科技有限公司",
        "13812345678",
        12.5,
    )
    assert last == date(2023, 10, 15)
    assert (tags, notes) == ("需求急迫", None)
    mapping = guess_mapping(rows, synonyms)
    assert mapping.header_row == 2
    assert mapping.fields == FIELDS
    assert mapping.headers[3] == "历史合作金额(万元)"


@given(titles=st.integers(0, 1), merge=st.booleans(), extra_rows=st.integers(0, 3))
@settings(max_examples=20, deadline=None)
def test_xlsx_header_is_found_under_any_title(synonyms, titles, merge, extra_rows):
    data = xlsx(
        [HEADER, *ROWS * (1 + extra_rows)], title=TITLE if titles else None, merge_title=merge
    )
    rows = list(read_rows(data, "客户.XLSX"))
    mapping = guess_mapping(rows, synonyms)
    assert mapping.header_row == (2 if titles else 0)
    assert rows[mapping.header_row] == HEADER
    assert len(rows) == mapping.header_row + 1 + len(ROWS) * (1 + extra_rows)


def test_a_file_that_is_not_a_spreadsheet_is_refused_when_read():
    with pytest.raises(SheetError, match=r"\S"):
        list(read_rows(b"this is not a zip file", "客户.xlsx"))


# --- CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_every_encoding_excel_and_wps_save(synonyms, encoding):
    written = [[TITLE], [], HEADER, *ROWS]
    data = csv_bytes(written, encoding)
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    rows = list(read_rows(data, "客户.csv"))
    assert rows == as_read(written)
    mapping = guess_mapping(rows, synonyms)
    assert (mapping.header_row, mapping.fields) == (2, FIELDS)


cells = st.text(
    # GBK-safe, with the csv module's own separators, quote marks and the Chinese separators
    alphabet=st.sampled_from(
        list("杭州云帆科技有限公司需求急迫价格 ,;\t\"'-.0123456789abcXY、，：（）￥")
    ),
    max_size=12,
).map(str.strip)


@given(
    body=st.lists(st.lists(cells, min_size=5, max_size=5), min_size=1, max_size=5),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "gbk"]),
    titles=st.integers(0, 2),
)
@FAST
def test_csv_cells_read_back_as_written(body, encoding, titles):
    written = [[TITLE]] * titles + [HEADER[1:6], *body]
    assert list(read_rows(csv_bytes(written, encoding), "客户.csv")) == as_read(written)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_tab_separated_csv(synonyms, encoding):
    written = [HEADER, *ROWS]
    rows = list(read_rows(delimited(written, "\t", encoding), "客户.txt"))
    assert rows == as_read(written)
    assert guess_mapping(rows, synonyms).fields == FIELDS


def test_semicolon_separated_csv():
    written = [HEADER, ["1", "杭州云帆科技有限公司", "13812345678", "12,5", "", "", ""]]
    assert list(read_rows(delimited(written, ";"), "客户.csv")) == as_read(written)


def test_tab_separated_csv_under_a_title_row():
    written = [[TITLE], [], HEADER, *ROWS]
    assert list(read_rows(delimited(written, "\t"), "客户.txt")) == as_read(written)


def test_tab_separated_csv_with_thousands_separators():
    written = [
        ["客户名称", "年度采购预算", "历史合作金额"],
        ["杭州云帆科技有限公司", "1,200,000", "12,500,000"],
        ["宁波海曙贸易有限公司", "800,000", "3,000,000"],
    ]
    assert list(read_rows(delimited(written, "\t"), "客户.txt")) == written


def test_comma_csv_with_tags_separated_by_semicolons():
    written = [
        ["客户名称", "标签"],
        ["杭州云帆科技有限公司", "需求急迫;价格敏感;竞品客户"],
        ["宁波海曙贸易有限公司", "老客户;年底续约;价格敏感"],
    ]
    assert list(read_rows(csv_bytes(written), "客户.csv")) == written


def test_quotes_inside_the_last_column_of_an_excel_csv():
    written = [
        ["客户名称", "联系方式", "备注"],
        ["杭州云帆科技有限公司", "13812345678", '客户说"下周签约"'],
    ]
    data = csv_bytes(written, "utf-8-sig")  # "客户说""下周签约""" then \r\n, as Excel writes it
    assert list(read_rows(data, "客户.csv")) == written


def test_apostrophes_are_not_taken_for_quotes():
    written = [
        ["客户名称", "联系方式", "客户分级", "备注"],
        ["杭州云帆", "13812345678", "'A'", "x"],
    ]
    assert list(read_rows(csv_bytes(written), "客户.csv")) == written


def test_quotes_and_commas_inside_cells_in_the_middle_of_a_row():
    written = [
        ["客户名称", "备注", "联系方式"],
        ['杭州"云帆"科技', "老客户, 年底续约", "13812345678"],
    ]
    assert list(read_rows(csv_bytes(written), "客户.csv")) == written


def test_a_single_column_csv_is_read():
    written = [["客户名称"], ["杭州云帆科技有限公司"], ["宁波海曙贸易有限公司"]]
    assert list(read_rows(csv_bytes(written), "客户.csv")) == written


@pytest.mark.parametrize("data", [b"\xff\xff", b"\x80", "客户".encode("utf-16")])
def test_csv_that_is_neither_utf8_nor_gbk_is_refused(data):
    with pytest.raises(SheetError, match="UTF-8"):
        decode_csv(data)


def test_decode_csv():
    assert decode_csv("客户名称".encode("utf-8-sig")) == "客户名称"
    assert decode_csv("客户名称".encode()) == "客户名称"
    assert decode_csv("客户名称，杭州".encode("gbk")) == "客户名称，杭州"


# --- file names ---------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["客户.pdf", "客户.docx", "客户", "客户.xlsx.exe", ".csv.bak"])
def test_an_unknown_extension_is_refused(filename):
    with pytest.raises(SheetError, match="xlsx"):
        read_rows(b"a,b\n1,2\n", filename)


@pytest.mark.parametrize("filename", ["客户.CSV", "客户.txt", "a.b.csv"])
def test_csv_extensions_in_any_case(filename):
    assert list(read_rows(b"a,b\r\n1,2\r\n", filename)) == [["a", "b"], ["1", "2"]]


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("客户名称", "name"),
        ("客户名称*", "name"),
        (" 客户名称 ", "name"),
        ("联系方式", "phone"),
        ("联系方式（手机）", "phone"),
        ("历史合作金额（万元）", "cooperation_amount"),
        ("历史合作金额(元)", "cooperation_amount"),
        ("Customer", "name"),
        ("customer name", "name"),
        ("Phone", "phone"),
        ("PHONE", "phone"),
        ("E-mail", "email"),
        ("客户分级", "tier"),
        ("序号", "_ignore"),
    ],
)
def test_headers_map_to_their_fields(synonyms, header, field):
    assert synonyms.get(header_key(header)) == field


def test_english_headers(synonyms):
    rows = [
        ["Customer list"],
        ["Customer", "Phone", "Owner", "Whatever"],
        ["云帆", "138", "rep", ""],
    ]
    mapping = guess_mapping(rows, synonyms)
    assert mapping.header_row == 1
    assert mapping.fields == ["name", "phone", "owner", None]
    assert mapping.as_dict()["headers"] == ["Customer", "Phone", "Owner", "Whatever"]


def test_the_first_column_naming_a_field_takes_it(synonyms):
    mapping = guess_mapping([["客户名称", "公司名称", "联系方式", "电话"]], synonyms)
    assert mapping.fields == ["name", None, "phone", None]


def test_the_header_is_the_row_naming_the_most_fields(synonyms):
    rows = [["客户"], ["客户名称", "联系方式", "标签"], ["杭州云帆", "138", "A"]]
    assert guess_mapping(rows, synonyms).header_row == 1


@given(
    titles=st.lists(
        st.sampled_from([[TITLE], [], [None, None], ["制表人：王芳", None, "2024-01"]]),
        max_size=HEADER_SCAN_ROWS - 1,
    )
)
@FAST
def test_the_header_is_found_under_any_rows_that_name_no_column(synonyms, titles):
    rows = [*titles, HEADER, *as_read(ROWS)]
    mapping = guess_mapping(rows, synonyms)
    assert mapping.header_row == len(titles)
    assert mapping.fields == FIELDS


def test_a_sheet_with_no_recognisable_header_is_refused_with_a_message(synonyms):
    rows = [[TITLE], [], ["甲", "乙", "丙"], ["1", "2", "3"]]
    with pytest.raises(SheetError, match="客户名称"):
        guess_mapping(rows, synonyms)
    with pytest.raises(SheetError, match=r"\S"):
        guess_mapping([], synonyms)


def test_a_header_below_the_rows_scanned_is_not_found(synonyms):
    rows = [[None]] * HEADER_SCAN_ROWS + [HEADER]
    with pytest.raises(SheetError):
        guess_mapping(rows, synonyms)


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("历史合作金额（万元）", "万元"),
        ("历史合作金额(万元)", "万元"),
        ("年度采购预算（ 元 ）", "元"),
        ("历史合作金额", ""),
        (None, ""),
    ],
)
def test_header_unit(header, unit):
    assert header_unit(header) == unit
