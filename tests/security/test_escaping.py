"""User text stays text: a customer named <script>alert(1)</script> (and a contact, tag,
interaction, deal, province … with such text) is shown escaped on every main page and written
literally into the exports; text a spreadsheet would run as a formula (=, +, -, @ first) is
never run: a string cell in .xlsx (never a formula), an apostrophe first in CSV."""

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from kehu.customers import services as customer_services
from kehu.customers.models import Tag
from kehu.followups import pool
from kehu.followups import services as followups
from kehu.pipeline import services as pipeline
from kehu.sheets import services as sheets

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# breaks out of an attribute value if it is written unescaped into one
ATTRIBUTE = '"><svg onload=x()>'
RAW = re.compile(r"<script>alert|<svg onload", re.I)

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]


def _unsafe(html: str) -> list[str]:
    return [m.group(0) for m in RAW.finditer(html)]


@pytest.fixture
def hostile(people):
    """A customer of the rep's whose every free-text field is hostile, with a contact, tag,
    interaction (and the next follow-up, due today), deal; and one released to the pool."""
    tag = Tag.objects.create(name=SCRIPT, group=ATTRIBUTE)
    customer = people.customer(
        people.rep,
        SCRIPT,
        tier="A",
        province=ATTRIBUTE,
        notes=SCRIPT + ATTRIBUTE,
    )
    customer_services.set_tags(people.rep, customer, [tag])
    contact = customer_services.add_contact(
        people.rep,
        customer,
        {"name": SCRIPT[:50], "title": ATTRIBUTE, "phone": "13800001111"},
    )
    deal = pipeline.create_deal(
        people.rep,
        customer,
        {"title": SCRIPT, "competitor": ATTRIBUTE, "products": SCRIPT, "amount": "1000"},
    )
    followups.log_interaction(
        people.rep,
        customer,
        method="phone",
        content=SCRIPT,
        feedback=ATTRIBUTE,
        next_step=SCRIPT,
        next_on=timezone.localdate(),
        contact=contact,
        deal=deal,
    )
    released = people.customer(people.rep, SCRIPT + " 公海")
    pool.release(people.rep, released, SCRIPT)
    return {"customer": customer, "deal": deal, "contact": contact, "released": released}


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_hostile_text_is_escaped_on_every_main_page(people, hostile, login):
    customer, deal = hostile["customer"], hostile["deal"]
    rep, director = login(people.rep), login(people.director)
    pages = {
        "customer list": (rep, "/customers/"),
        "customer list, all columns": (
            rep,
            "/customers/?cols=name,tier,status,owner,contact,phone,tags,industry,region",
        ),
        "search": (rep, "/customers/?q=script"),
        "customer page": (rep, f"/customers/{customer.pk}/"),
        "customer edit": (rep, f"/customers/{customer.pk}/edit/"),
        "contact edit": (rep, f"/customers/{customer.pk}/contacts/{hostile['contact'].pk}/"),
        "my day": (rep, "/followups/today/"),
        "interaction log": (rep, "/followups/interactions/"),
        "follow-up plan": (rep, "/followups/plans/"),
        "public pool": (rep3 := login(people.rep3), "/followups/pool/"),
        "deal list": (rep, "/deals/"),
        "deal board": (rep, "/deals/board/"),
        "deal page": (rep, f"/deals/{deal.pk}/"),
        "flow analytics": (director, "/deals/analytics/"),
        "dashboard": (director, "/reports/"),
        "pivot by region": (director, "/reports/pivot/?rows=region&columns=tier"),
        "review report": (director, "/reports/review/"),
        "director's list": (director, "/customers/?q=alert"),
    }
    shown = {}
    for label, (client, url) in pages.items():
        html = _page(client, url)
        assert not _unsafe(html), (label, url, _unsafe(html))
        shown[label] = SCRIPT_ESCAPED in html or "&lt;script&gt;" in html
    # the text is there, escaped, where the page shows it
    for label in [
        "customer list",
        "search",
        "customer page",
        "customer edit",
        "contact edit",
        "my day",
        "interaction log",
        "follow-up plan",
        "public pool",
        "deal list",
        "deal board",
        "deal page",
        "director's list",
    ]:
        assert shown[label], label
    assert rep3  # a rep of another team sees the released customer in the pool


def test_the_search_box_reflects_a_hostile_query_escaped(people, login):
    html = _page(login(people.rep), "/customers/?q=" + SCRIPT + ATTRIBUTE)
    assert not _unsafe(html)
    assert SCRIPT_ESCAPED in html


def test_the_import_preview_escapes_the_file_it_shows(people, login):
    rows = [["客户名称", "联系方式", "备注"], [SCRIPT, "13800002222", ATTRIBUTE]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    batch = sheets.upload(people.rep, out.getvalue().encode("utf-8-sig"), SCRIPT + ".csv")
    html = _page(login(people.rep), f"/sheets/imports/{batch.pk}/")
    assert not _unsafe(html)
    assert SCRIPT_ESCAPED in html


# --- exports --------------------------------------------------------------------------------
def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    content = response.content
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    rows = []
    for name in book.sheet_names:
        rows += book.get_sheet_by_name(name).to_python()
    # never a formula cell, whatever the text starts with
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode() and "<f " not in z.read(name).decode()
    return rows


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _cells(rows) -> set[str]:
    return {str(v) for row in rows for v in row}


def test_exports_keep_hostile_text_literally(people, hostile, login):
    rep = login(people.rep)
    cols = "cols=name,tier,status,owner,contact,phone,tags,region"
    for rows in (
        _xlsx(rep.get(f"/customers/export/?{cols}")),
        _csv(rep.get(f"/customers/export/?{cols}&format=csv")),
    ):
        cells = _cells(rows)
        assert SCRIPT in cells  # the name, as typed: no &lt; in a spreadsheet
        assert not any("&lt;" in c or "&amp;" in c for c in cells)
    for url in ("/deals/?format=xlsx", "/followups/interactions/?format=xlsx"):
        cells = _cells(_xlsx(rep.get(url)))
        assert SCRIPT in cells, url
        assert not any("&lt;" in c for c in cells), url
    pivot = _cells(_xlsx(login(people.director).get("/reports/pivot/?rows=region&format=xlsx")))
    # a value starting with a quote: a csv apostrophe is not added, the text is as stored
    assert ATTRIBUTE in pivot


@pytest.fixture
def formulas(people):
    """Customers (and their province, a pivot dimension) named like formulas."""
    for text in FORMULAS:
        people.customer(people.rep, text, province=text[:20])  # a province is short


def test_formula_like_text_is_never_a_formula_in_xlsx(people, formulas, login):
    rows = _xlsx(login(people.rep).get("/customers/export/?cols=name,region"))
    header, body = rows[0], rows[1:]
    names = [r[header.index("客户名称")] for r in body]
    # string cells holding the text exactly as typed (not =HYPERLINK's result, not numbers 1, -2)
    assert sorted(names) == sorted(FORMULAS)
    assert all(isinstance(n, str) for n in names)


def test_formula_like_text_gets_an_apostrophe_in_csv(people, formulas, login):
    rows = _csv(login(people.rep).get("/customers/export/?cols=name,region&format=csv"))
    header, body = rows[0], rows[1:]
    names = sorted(r[header.index("客户名称")] for r in body)
    assert names == sorted("'" + text for text in FORMULAS)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for row in body:
        for cell in row:
            assert not cell.startswith(dangerous), cell


def test_a_report_export_neutralises_formulas_too(people, formulas, login):
    """The pivot (a report) writes the provinces as row labels: text cells, never formulas
    (_xlsx checks there is no formula cell in the file)."""
    rows = _xlsx(login(people.director).get("/reports/pivot/?rows=region&format=xlsx"))
    labels = {r[0] for r in rows[1:]}
    assert {text[:20] for text in FORMULAS} <= labels


def test_numbers_stay_numbers_in_csv(people, login):
    """Only text is neutralised: a negative amount is still a number a spreadsheet sums."""
    from kehu.sheets.export import csv_safe

    assert csv_safe(-2) == "-2"
    assert csv_safe("-2") == "'-2"
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("\t=1") == "'\t=1"


def test_the_interaction_log_csv_neutralises_formula_content(people, login):
    customer = people.customer(people.rep, "公式测试有限公司")
    followups.log_interaction(
        people.rep,
        customer,
        method="phone",
        content='=HYPERLINK("http://x","点我")',
        at=timezone.now() - timedelta(minutes=1),
    )
    rows = _csv(login(people.rep).get("/followups/interactions/?format=csv"))
    cells = _cells(rows[1:])
    assert '\'=HYPERLINK("http://x","点我")' in cells
    assert not any(c.startswith("=") for c in cells)
