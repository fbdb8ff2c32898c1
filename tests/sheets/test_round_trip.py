"""An exported sheet, edited in a spreadsheet and imported again, updates the same customers."""

import io
from datetime import UTC, datetime

from django.core.management import call_command
from python_calamine import CalamineWorkbook

from kehu.customers.models import Customer

from .conftest import xlsx


def _sheet(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_export_edit_import_updates_the_same_customers(people, book, login, upload, commit):
    client = login(people.rep)
    response = client.get("/customers/export/?cols=name,tier,status,owner,contact,phone,tags")
    rows = _sheet(response.content)
    header, body = rows[0], rows[1:]
    assert header[0] == "客户编号"
    assert sorted(r[1] for r in body) == sorted(
        [book["rep"].name, book["shared"].name]
    )  # only what the rep can see
    notes_column = len(header)
    edited = [[*header, "备注"]] + [[*r, "回访过"] for r in body]
    batch = upload(people.rep, xlsx(edited), "edited.xlsx")
    assert batch.summary["matched"] == 2  # their own and the one shared with them
    commit(people.rep, batch)
    assert Customer.objects.count() == 6  # nothing duplicated
    assert Customer.objects.get(pk=book["rep"].pk).notes == "回访过"
    assert Customer.objects.get(pk=book["shared"].pk).owner == people.rep2
    assert notes_column


def test_unchanged_export_imports_as_up_to_date(people, book, login, upload):
    content = login(people.director).get("/customers/export/").content
    batch = upload(people.director, content, "same.xlsx")
    assert batch.summary["unchanged"] == 6 and batch.summary["matched"] == 0


def test_export_keeps_the_lists_filters_and_csv_has_a_bom(people, book, login):
    response = login(people.director).get("/customers/export/?q=云帆&format=csv")
    body = response.getvalue()  # a streamed response reads once
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "杭州云帆科技有限公司" in text and "上海海纳" not in text


def test_csv_export_shows_local_times_and_imports_again_unchanged(people, book, login, upload):
    customer = book["rep"]
    at = datetime(2026, 3, 2, 1, 15, 42, 123456, tzinfo=UTC)  # 09:15 in Beijing
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=at)
    body = login(people.director).get("/customers/export/?cols=name,last_contact&format=csv")
    content = body.getvalue()
    assert "2026-03-02 09:15" in content.decode("utf-8-sig")
    assert b"+00:00" not in content
    batch = upload(people.director, content, "same.csv")
    assert batch.summary["error"] == 0 and batch.summary["matched"] == 0
    assert batch.summary["unchanged"] == 6


def test_formula_like_names_are_text_in_exports(people, login, upload):
    people.customer(people.rep, '=HYPERLINK("http://x")有限公司')
    content = login(people.rep).get("/customers/export/?format=csv").getvalue().decode("utf-8-sig")
    assert "'=HYPERLINK" in content


def test_command_line_import_and_export(people, book, tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(xlsx([["客户名称", "联系方式"], ["命令行有限公司", "13800003333"]]))
    out = io.StringIO()
    call_command("import", str(source), "--user", "director", "--dry-run", stdout=out)
    assert "new 1" in out.getvalue() and not Customer.objects.filter(name="命令行有限公司").exists()
    call_command("import", str(source), "--user", "director", stdout=io.StringIO())
    assert Customer.objects.filter(name="命令行有限公司").exists()
    target = tmp_path / "out.xlsx"
    call_command("export", "customers", "--user", "rep", "--out", str(target), stdout=io.StringIO())
    names = [r[1] for r in _sheet(target.read_bytes())[1:]]
    assert sorted(names) == sorted([book["rep"].name, book["shared"].name])


def test_dry_run_queries_do_not_grow_with_the_rows(people, upload, django_assert_max_num_queries):
    from kehu.sheets import importer
    from kehu.sheets.models import ImportBatch

    def sheet(n):
        for i in range(n):
            people.customer(people.rep, f"查询{n}-{i}有限公司")
        return xlsx(
            [["客户名称", "标签", "联系方式"]]
            + [[f"查询{n}-{i}有限公司", "需求急迫", f"1380000{n:02d}{i:02d}"] for i in range(n)]
        )

    small = upload(people.rep, sheet(3), "s.xlsx")
    large = upload(people.rep, sheet(30), "l.xlsx")
    assert large.summary["matched"] == 30
    for batch in (small, large):
        batch = ImportBatch.objects.get(pk=batch.pk)
        with django_assert_max_num_queries(16):
            importer.analyse(people.rep, batch)


def test_command_line_exports_every_list(people, book, tmp_path):
    from kehu.followups import services as followup_services

    followup_services.log_interaction(people.rep, book["rep"], method="phone", content="电话")
    for kind in ("interactions", "followups", "deals"):
        target = tmp_path / f"{kind}.csv"
        call_command("export", kind, "--user", "rep", "--out", str(target), stdout=io.StringIO())
        assert target.read_bytes().startswith("\ufeff".encode())
    assert "电话" in (tmp_path / "interactions.csv").read_text("utf-8-sig")
