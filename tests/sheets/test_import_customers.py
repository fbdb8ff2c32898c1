"""Importing the customer base table (表1) the way people keep it."""

import zlib
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.services import create_customer
from kehu.sheets import importer
from kehu.sheets.models import ImportBatch, ImportContent, created_ids, record_rows

from .conftest import csv_bytes, xlsx

HEADER = [
    "序号",
    "客户名称",
    "所属行业",
    "联系人",
    "职位",
    "联系方式",
    "客户分级",
    "核心需求",
    "历史合作金额（万元）",
    "负责人",
    "最后跟进时间",
    "标签",
]


def seed_rows():
    return [
        HEADER,
        [
            1,
            "杭州云帆科技有限公司",
            "信息技术",
            "王芳",
            "采购经理",
            "138-1234-5678",
            "A",
            "ERP 升级",
            12.5,
            "张伟",
            datetime(2023, 10, 15),
            "需求急迫、价格敏感",
        ],
        [
            2,
            "宁波海曙贸易有限公司",
            "批发零售",
            "李强",
            "总经理",
            "+86 139 0000 1111",
            "B",
            "",
            "3,000元",
            "rep",
            "2023年10月16日",
            "",
        ],
    ]


def test_director_imports_the_seed_sheet_under_a_merged_title(people, upload, commit):
    batch = upload(people.director, xlsx(seed_rows(), title="表1 客户信息基础表"))
    assert batch.mapping["header_row"] == 2
    assert batch.summary["new"] == 2 and batch.summary["error"] == 0
    batch = commit(people.director, batch)
    assert batch.status == ImportBatch.Status.DONE
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    assert yunfan.tier == "A"
    assert yunfan.cooperation_amount == Decimal("125000.00")  # a 万元 column
    assert yunfan.owner == people.rep and yunfan.team == people.hangzhou
    assert yunfan.industry.name == "信息技术"
    assert sorted(yunfan.tags.values_list("name", flat=True)) == ["价格敏感", "需求急迫"]
    contact = Contact.objects.get(customer=yunfan)
    assert (contact.name, contact.title, contact.phone, contact.is_primary) == (
        "王芳",
        "采购经理",
        "13812345678",
        True,
    )
    assert timezone.localtime(yunfan.last_contact_at).date().isoformat() == "2023-10-15"
    haishu = Customer.objects.get(name="宁波海曙贸易有限公司")
    assert haishu.cooperation_amount == Decimal("3000.00")  # 元 typed in a 万元 column
    assert Contact.objects.get(customer=haishu).phone == "13900001111"
    # found by pinyin initials and phone like any customer
    assert "yfkj" in yunfan.search_text and "13812345678" in yunfan.search_text
    created = AuditEvent.objects.get(customer_id=yunfan.pk, action="create")
    assert created.actor == people.director
    assert created.changes[0]["new"] == f"客户.xlsx (#{batch.pk})"  # the file it came from


def test_every_imported_customer_has_one_creation_event_of_its_own(
    people, upload, commit, monkeypatch
):
    before = people.customer(people.rep, "温州瓯江机械有限公司")
    monkeypatch.setattr(importer, "WRITE_CHUNK", 10)  # three chunks, audited as they are built
    rows = [["客户名称"]] + [[f"公司{i}有限公司"] for i in range(25)]
    batch = commit(people.director, upload(people.director, csv_bytes(rows), "many.csv"))
    created = Customer.objects.filter(pk__in=created_ids(batch))
    events = AuditEvent.objects.filter(action="create", model="customers.customer").exclude(
        customer_id=before.pk
    )
    assert sorted(
        (e.object_id, e.customer_id, e.object_repr, e.actor_id, e.at) for e in events
    ) == sorted((c.pk, c.pk, c.name, people.director.pk, c.created_at) for c in created)
    assert {e.changes[0]["new"] for e in events} == {f"many.csv (#{batch.pk})"}
    assert AuditEvent.objects.filter(customer_id=before.pk).count() == 1  # its own, untouched


def test_a_column_some_rows_leave_blank_gets_the_forms_default_there(people, upload, commit):
    rows = [
        ["客户名称", "省份", "城市", "满意度", "历史合作金额", "来源渠道"],
        ["杭州云帆科技有限公司", "浙江", "杭州", 4, "12,000元", "展会"],
        ["宁波海曙贸易有限公司", "", "", "", "", ""],
    ]
    commit(people.director, upload(people.director, csv_bytes(rows), "some.csv"))
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    haishu = Customer.objects.get(name="宁波海曙贸易有限公司")
    assert (yunfan.province, yunfan.city, yunfan.satisfaction) == ("浙江", "杭州", 4)
    assert yunfan.cooperation_amount == Decimal("12000.00") and yunfan.channel.name == "展会"
    assert (haishu.province, haishu.city, haishu.satisfaction, haishu.channel) == (
        "",
        "",
        None,
        None,
    )
    assert haishu.cooperation_amount == Decimal("0.00")
    # columns no row fills are the same for every row: the form's defaults
    for customer in (yunfan, haishu):
        assert (customer.kind, customer.status, customer.tier, customer.address) == (
            Customer.Kind.COMPANY,
            Customer.Status.LEAD,
            "",
            "",
        )
        assert customer.annual_budget is None and customer.version == 1
        assert customer.created_by == customer.updated_by == people.director


def test_rep_imports_into_own_book_and_cannot_set_tiers(people, upload, commit):
    batch = upload(people.rep, xlsx(seed_rows()))
    problems = [s["problems"] for s in batch.summary["samples"] if s["category"] == "error"]
    assert len(problems) == 2
    assert any("propose" in m or "评审" in m for p in problems for _c, m in p)


def test_gbk_csv_with_wan_amounts_and_dates_as_people_type_them(people, upload, commit):
    rows = [
        ["客户名称", "历史合作金额", "最后跟进时间", "负责人"],
        ["苏州明德教育咨询有限公司", "1.5万", "2023/10/15", "张伟"],
        ["温州瓯江机械有限公司", "12,000", "2023.10.16", "张伟"],
        ["嘉兴南湖食品有限公司", "￥800", 45214, "张伟"],
    ]
    batch = upload(people.manager, csv_bytes(rows, "gbk"), "客户.csv")
    assert batch.summary["error"] == 0, batch.summary["samples"]
    commit(people.manager, batch)
    amounts = dict(Customer.objects.values_list("name", "cooperation_amount"))
    assert amounts["苏州明德教育咨询有限公司"] == Decimal("15000.00")
    assert amounts["温州瓯江机械有限公司"] == Decimal("12000.00")
    assert amounts["嘉兴南湖食品有限公司"] == Decimal("800.00")
    dates = {
        c.name: timezone.localtime(c.last_contact_at).date().isoformat()
        for c in Customer.objects.all()
    }
    assert dates["温州瓯江机械有限公司"] == "2023-10-16"
    assert dates["嘉兴南湖食品有限公司"] == "2023-10-15"  # Excel serial 45214


def test_errors_name_the_row_and_the_column(people, upload):
    rows = [
        ["客户名称", "联系方式", "历史合作金额", "满意度"],
        ["坏数据有限公司", "abc", "很多", 9],
    ]
    batch = upload(people.director, csv_bytes(rows), "bad.csv")
    (sample,) = [s for s in batch.summary["samples"] if s["number"] == 2]
    columns = {c for c, _m in sample["problems"]}
    assert columns == {"联系方式", "历史合作金额", "满意度"}


def test_commit_with_errors_needs_the_choice_to_skip_them(people, upload):
    rows = [["客户名称", "联系方式"], ["好公司", "13800000000"], ["坏公司", "abc"]]
    batch = upload(people.director, csv_bytes(rows), "bad.csv")
    with pytest.raises(importer.ImportRefused):
        importer.commit(people.director, batch, {})
    assert not Customer.objects.exists()
    importer.commit(people.director, batch, {"error": "skip"})
    assert list(Customer.objects.values_list("name", flat=True)) == ["好公司"]


def test_existing_customer_is_updated_and_blank_cells_never_wipe(people, upload, commit):
    existing = people.customer(
        people.rep, "杭州云帆科技有限公司", core_needs="旧需求", cooperation_amount=Decimal("100")
    )
    rows = [["客户名称", "核心需求", "历史合作金额"], ["杭州云帆科技有限公司", "", "2000"]]
    batch = upload(people.rep, csv_bytes(rows), "u.csv")
    assert batch.summary["matched"] == 1
    commit(people.rep, batch)
    existing.refresh_from_db()
    assert existing.core_needs == "旧需求"
    assert existing.cooperation_amount == Decimal("2000.00")
    assert existing.version == 2
    change = AuditEvent.objects.filter(customer_id=existing.pk, action="update").latest("pk")
    assert change.changes[0]["new"] == "2,000.00"


def test_duplicates_of_customers_the_rep_cannot_see_are_skipped_and_masked(
    people, book, upload, commit
):
    rows = [
        ["客户名称", "联系方式"],
        ["北京星辰网络科技有限公司", ""],
        ["新客户有限公司", ""],
        ["新客户有限公司", ""],
    ]
    batch = upload(people.rep, csv_bytes(rows), "d.csv")
    by_number = {s["number"]: s for s in batch.summary["samples"]}
    assert by_number[2]["category"] == "duplicate"
    assert "赵磊" in by_number[2]["match"] and by_number[2]["match_id"] is None
    assert by_number[4]["category"] == "in_file"
    commit(people.rep, batch)
    assert Customer.objects.filter(name="新客户有限公司").count() == 1
    assert book["rep2"].owner == people.rep2


def test_exported_number_updates_that_customer_and_others_numbers_are_refused(
    people, book, upload, commit
):
    rows = [
        ["客户编号", "客户名称", "备注"],
        [book["rep"].pk, "杭州云帆科技有限公司", "新备注"],
        [book["rep2"].pk, "北京星辰网络科技有限公司", "偷改"],
    ]
    batch = upload(people.rep, csv_bytes(rows), "k.csv")
    by_number = {s["number"]: s for s in batch.summary["samples"]}
    assert by_number[2]["category"] == "matched"
    assert by_number[3]["category"] == "error"
    commit(people.rep, batch)
    book["rep"].refresh_from_db()
    book["rep2"].refresh_from_db()
    assert book["rep"].notes == "新备注" and book["rep2"].notes == ""


def test_a_long_sheet_matches_by_number_name_and_phone_in_one_query_each(
    people, upload, django_assert_max_num_queries
):
    # more than a hundred of each: the lookups switch from a parameter list to one array
    by_number = [people.customer(people.rep, f"编号{i}有限公司") for i in range(110)]
    by_name = [people.customer(people.rep, f"同名{i}有限公司") for i in range(110)]
    by_phone = [people.customer(people.rep, f"旧名{i}有限公司") for i in range(110)]
    for i, customer in enumerate(by_phone):
        Contact.objects.create(customer=customer, name="联系人", phone=f"1390000{i:04d}")
    rows = [["客户编号", "客户名称", "联系方式"]]
    rows += [[c.pk, c.name, ""] for c in by_number]
    rows += [["", c.name, ""] for c in by_name]
    rows += [["", f"新名{i}有限公司", f"1390000{i:04d}"] for i in range(110)]
    rows += [["", f"全新{i}有限公司", ""] for i in range(110)]
    batch = upload(people.rep, csv_bytes(rows), "long.csv")
    # by number and by name: nothing to change; by phone: renamed
    assert (batch.summary["unchanged"], batch.summary["matched"]) == (220, 110)
    assert batch.summary["new"] == 110
    with django_assert_max_num_queries(16):
        importer.analyse(people.rep, ImportBatch.objects.get(pk=batch.pk))


def test_undo_removes_exactly_the_batch(people, book, upload, commit):
    before = Customer.objects.count()
    rows = [
        ["客户编号", "客户名称", "备注", "联系人", "联系方式"],
        [book["rep"].pk, "杭州云帆科技有限公司", "改过", "新人", "13700000000"],
        ["", "全新有限公司", "", "王五", "13600000000"],
    ]
    batch = commit(people.director, upload(people.director, csv_bytes(rows), "u.csv"))
    assert Customer.objects.count() == before + 1
    importer.undo(people.director, batch)
    assert Customer.objects.count() == before
    book["rep"].refresh_from_db()
    assert book["rep"].notes == ""
    assert not Contact.objects.filter(phone="13700000000").exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == "undone"


def test_the_customers_an_import_created_are_recorded_as_runs_of_ids(people, upload, commit):
    batch = commit(people.director, upload(people.director, xlsx(seed_rows())))
    names = ["杭州云帆科技有限公司", "宁波海曙贸易有限公司"]
    new = sorted(Customer.objects.filter(name__in=names).values_list("pk", flat=True))
    assert created_ids(batch) == new
    assert batch.records.count() == 1  # consecutive ids: one record, however long the sheet
    # ids drawn around someone else's insert (PostgreSQL's sequence) make two runs
    rows = record_rows(batch.pk, [9, 3, 4, 5, 12], [(7, 2, {"notes": ""})])
    assert [(r[1], r[2], r[5]) for r in rows] == [
        (3, "create", 3),
        (9, "create", 1),
        (12, "create", 1),
        (7, "update", 1),
    ]


def test_only_directors_undo_and_not_after_someone_worked_on_it(people, upload, commit):
    rows = [["客户名称"], ["全新有限公司"]]
    batch = commit(people.rep, upload(people.rep, csv_bytes(rows), "n.csv"))
    from kehu.accounts.access import AccessDenied

    with pytest.raises(AccessDenied):
        importer.undo(people.rep, batch)
    customer = Customer.objects.get(name="全新有限公司")
    from kehu.customers import services as customer_services

    customer_services.update_customer(people.rep, customer, {"notes": "打过电话"})
    with pytest.raises(importer.ImportRefused):
        importer.undo(people.director, batch)
    assert Customer.objects.filter(name="全新有限公司").exists()


def test_a_failure_on_the_last_row_leaves_nothing_written(people, upload, monkeypatch):
    rows = [["客户名称"]] + [[f"公司{i}有限公司"] for i in range(50)]
    batch = upload(people.director, csv_bytes(rows), "many.csv")
    real = importer.record_rows  # the last thing an import writes: every row is in

    def explode(*args):
        assert Customer.objects.count() == 50
        real(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "record_rows", explode)
    with pytest.raises(RuntimeError):
        importer.commit(people.director, batch, {})
    assert not Customer.objects.exists() and not Contact.objects.exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == "failed"


def test_a_search_index_failure_in_the_second_thread_leaves_nothing_written(
    people, upload, monkeypatch
):
    from kehu.customers import search

    rows = [["客户名称"]] + [[f"公司{i}有限公司"] for i in range(50)]
    batch = upload(people.director, csv_bytes(rows), "many.csv")
    monkeypatch.setattr(importer, "WRITE_CHUNK", 10)  # five chunks, indexed while built
    real, filled = search._fill_search, []

    def explode(first, last, cursor):
        filled.append(first)
        real(first, last, cursor)
        if len(filled) == 3:
            raise RuntimeError("disk full")

    monkeypatch.setattr(search, "_fill_search", explode)
    with pytest.raises(RuntimeError):
        importer.commit(people.director, batch, {})
    assert not Customer.objects.exists()
    assert ImportBatch.objects.get(pk=batch.pk).status == "failed"
    monkeypatch.undo()
    # the insert trigger is back: a customer added by hand is found by its pinyin
    create_customer(people.rep, {"name": "杭州云帆科技有限公司"})
    found = search.search_customers(Customer.objects.all(), "yunfan")
    assert [c.name for c in found] == ["杭州云帆科技有限公司"]


def test_large_imports_run_in_the_background_once(
    people, upload, settings, django_capture_on_commit_callbacks
):
    settings.KEHU_IMPORT_SYNC_ROWS = 1
    rows = [["客户名称"], ["甲有限公司"], ["乙有限公司"]]
    batch = upload(people.director, csv_bytes(rows), "big.csv")
    with django_capture_on_commit_callbacks(execute=True):
        queued = importer.commit(people.director, batch, {})
    assert queued.status == ImportBatch.Status.QUEUED  # the page shows progress meanwhile
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE  # the (immediate) worker ran it
    assert Customer.objects.count() == 2
    importer.execute(batch.pk)  # a second worker picking up the same batch writes nothing
    assert Customer.objects.count() == 2


def test_imported_customers_are_found_by_pinyin_and_phone(people, upload, commit, login):
    commit(people.director, upload(people.director, xlsx(seed_rows())))
    client = login(people.director)
    for q in ("yfkj", "云帆", "5678", "hsmy"):
        names = [c.name for c in client.get(f"/customers/?q={q}").context["page"].rows]
        assert names and all(("云帆" in n) or ("海曙" in n) for n in names), q


def test_commit_reads_the_rows_the_dry_run_parsed_and_matches_them_afresh(people, upload, commit):
    batch = upload(people.director, xlsx(seed_rows()))
    assert batch.content.parsed  # the dry run's parse, kept
    # the stored file is not read again: the commit imports what the preview showed
    ImportContent.objects.filter(batch=batch).update(data=b"not a sheet any more")
    # …but the database is asked again: a customer created since is updated, not duplicated
    since = create_customer(people.rep, {"name": "宁波海曙贸易有限公司"})
    batch.refresh_from_db()
    batch = commit(people.director, batch)
    assert batch.summary["created"] == 1 and batch.summary["updated"] == 1
    assert Customer.objects.filter(name="宁波海曙贸易有限公司").count() == 1
    since.refresh_from_db()
    assert since.cooperation_amount == Decimal("3000.00")
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    assert yunfan.cooperation_amount == Decimal("125000.00") and yunfan.owner == people.rep
    assert timezone.localtime(yunfan.last_contact_at).date().isoformat() == "2023-10-15"


def test_rows_kept_in_an_older_format_are_read_from_the_file_again(people, upload, commit):
    batch = upload(people.director, xlsx(seed_rows()))
    # a preview made before an upgrade: its rows are in a shape this version does not read
    ImportContent.objects.filter(batch=batch).update(parsed=zlib.compress(b'[[2, {"name": "x"}]]'))
    batch.refresh_from_db()
    batch = commit(people.director, batch)
    assert batch.summary["created"] == 2
    assert Customer.objects.get(name="杭州云帆科技有限公司").cooperation_amount == Decimal(
        "125000.00"
    )


def test_an_owner_who_left_after_the_dry_run_is_the_rows_error(people, upload, commit):
    batch = upload(people.director, xlsx(seed_rows()))
    people.rep.is_active = False
    people.rep.save(update_fields=["is_active"])
    batch = commit(people.director, batch)
    # both rows named the rep (by name and by login): nothing created, each skipped as an error
    assert batch.summary["created"] == 0
    assert not Customer.objects.filter(name="杭州云帆科技有限公司").exists()
