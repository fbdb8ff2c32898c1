"""The import pages: upload, preview with mapping and choices, commit, undo; access."""

from kehu.customers.models import Customer
from kehu.sheets.models import ImportBatch

from .conftest import csv_bytes, xlsx


def _upload(client, data, name="客户.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/sheets/import/", {"kind": "customers", "file": SimpleUploadedFile(name, data)}
    )


def test_rep_uploads_previews_and_imports_from_the_page(people, login):
    client = login(people.rep)
    rows = [["客户名称", "联系方式"], ["杭州新客户有限公司", "13800001111"], ["坏行", "abc"]]
    response = _upload(client, csv_bytes(rows))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/sheets/imports/{batch.pk}/"
    page = client.get(response.url)
    assert page.status_code == 200
    assert "abc" in page.content.decode()
    assert not Customer.objects.exists()  # a dry run writes nothing
    refused = client.post(response.url, {"action": "commit", "new": "create"}, follow=True)
    assert "skip" in refused.content.decode() or "跳过" in refused.content.decode()
    client.post(response.url, {"action": "commit", "new": "create", "error": "skip"})
    assert list(Customer.objects.values_list("name", "owner")) == [
        ("杭州新客户有限公司", people.rep.pk)
    ]


def test_a_row_can_be_skipped_on_its_own(people, login):
    client = login(people.rep)
    rows = [["客户名称"], ["甲有限公司"], ["乙有限公司"]]
    response = _upload(client, csv_bytes(rows))
    client.post(response.url, {"action": "commit", "row_3": "skip"})
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲有限公司"]


def test_fixing_the_mapping_by_hand_and_saving_it(people, login):
    client = login(people.rep)
    rows = [["单位", "手机号码"], ["丙有限公司", "13800002222"]]
    response = _upload(client, csv_bytes(rows))
    batch = ImportBatch.objects.get()
    assert batch.mapping["fields"] == [None, "phone"]  # 单位 is not a known name
    client.post(response.url, {"action": "remap", "field_0": "name", "field_1": "phone"})
    batch.refresh_from_db()
    assert batch.summary["new"] == 1
    client.post(response.url, {"action": "save_mapping", "name": "我的表"})
    _upload(client, csv_bytes(rows))
    assert ImportBatch.objects.latest("pk").mapping["fields"] == ["name", "phone"]


def test_unreadable_file_is_refused_on_the_form(people, login):
    response = _upload(login(people.rep), b"\x00\x01garbage", "x.xlsx")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_other_reps_cannot_see_an_import_and_viewers_cannot_import(people, login):
    response = _upload(login(people.rep), csv_bytes([["客户名称"], ["丁有限公司"]]))
    assert login(people.rep2).get(response.url).status_code == 404
    assert login(people.viewer).get("/sheets/import/").status_code == 403
    assert login(people.director).get(response.url).status_code == 200


def test_director_undoes_an_import_from_its_page(people, login):
    client = login(people.director)
    response = _upload(client, xlsx([["客户名称"], ["戊有限公司"]]), "a.xlsx")
    client.post(response.url, {"action": "commit"})
    assert Customer.objects.filter(name="戊有限公司").exists()
    client.post(response.url, {"action": "undo"})
    assert not Customer.objects.filter(name="戊有限公司").exists()


def test_blank_template_has_the_headers(people, login):
    import io

    from python_calamine import CalamineWorkbook

    response = login(people.rep).get("/sheets/templates/customers/")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    header = sheet.to_python()[0]
    assert "客户名称" in header and "客户编号" in header


def test_a_large_upload_is_checked_in_the_background(
    people, login, settings, django_capture_on_commit_callbacks
):
    settings.KEHU_IMPORT_SYNC_BYTES = 10
    client = login(people.rep)
    with_errors = csv_bytes(
        [["客户名称", "联系方式"], ["大文件有限公司", "abc"], ["好有限公司", ""]]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, with_errors)
    batch = ImportBatch.objects.get()
    # the (immediate, in tests) worker checked it once the upload committed
    assert batch.status == ImportBatch.Status.PREVIEW and batch.summary["error"] == 1
    page = client.get(response.url)
    assert page.status_code == 200
    report = client.get(f"/sheets/imports/{batch.pk}/errors/")
    import io

    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[1][1:3] == ["大文件有限公司", "联系方式"]
