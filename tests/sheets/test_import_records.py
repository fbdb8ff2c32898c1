"""Importing the interaction log, the follow-up plan (表2) and deals."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.followups.models import FollowUp, Interaction
from kehu.pipeline.models import Deal, Stage
from kehu.sheets import importer, services

from .conftest import csv_bytes, xlsx


def _upload(actor, rows, kind, name="s.xlsx"):
    return services.upload(actor, xlsx(rows), name, kind)


def test_interaction_history_is_imported_and_moves_last_contact(people, book):
    customer = book["rep"]
    rows = [
        ["客户名称", "跟进时间", "跟进方式", "跟进内容", "客户反馈", "下一步计划"],
        [customer.name, datetime(2024, 3, 1, 10, 0), "电话", "介绍新品", "有兴趣", "发报价"],
        [customer.name, "2024年3月5日 14时30分", "拜访", "上门演示", "", ""],
    ]
    batch = _upload(people.rep, rows, "interactions")
    assert batch.summary["new"] == 2 and batch.summary["error"] == 0, batch.summary["samples"]
    importer.commit(people.rep, batch, {})
    logged = list(Interaction.objects.filter(customer=customer).order_by("at"))
    assert [(i.method, i.content, i.user) for i in logged] == [
        ("phone", "介绍新品", people.rep),
        ("visit", "上门演示", people.rep),
    ]
    customer.refresh_from_db()
    assert timezone.localtime(customer.last_contact_at).strftime("%Y-%m-%d %H:%M") == (
        "2024-03-05 14:30"
    )
    importer.undo(people.director, batch)
    assert not Interaction.objects.filter(customer=customer).exists()
    customer.refresh_from_db()
    assert customer.last_contact_at is None


def test_a_long_interaction_log_finds_every_customer_and_moves_their_last_contact(people):
    # over a hundred customers: their names, contacts and last contacts are looked up as one
    # array parameter each
    customers = [people.customer(people.rep, f"日志{i}有限公司") for i in range(120)]
    rows = [["客户名称", "跟进时间", "跟进方式", "跟进内容"]]
    rows += [
        [c.name, datetime(2024, 3, 1, 10, 0), "电话", f"第{i}次"] for i, c in enumerate(customers)
    ]
    batch = _upload(people.rep, rows, "interactions")
    assert batch.summary["new"] == 120 and batch.summary["error"] == 0
    importer.commit(people.rep, batch, {})
    assert Interaction.objects.filter(customer__in=customers).count() == 120
    moved = {c.last_contact_at for c in Customer.objects.filter(pk__in=[c.pk for c in customers])}
    assert [timezone.localtime(t).strftime("%Y-%m-%d %H:%M") for t in moved] == ["2024-03-01 10:00"]


def test_interactions_for_customers_the_rep_cannot_change_are_errors(people, book):
    rows = [
        ["客户名称", "跟进方式", "跟进内容"],
        [book["rep2"].name, "电话", "偷偷打的"],
        ["不存在的公司", "电话", "?"],
    ]
    batch = _upload(people.rep, rows, "interactions")
    problems = [m for s in batch.summary["samples"] for _c, m in s["problems"]]
    assert batch.summary["error"] == 2 and len(problems) == 2
    assert all(book["rep2"].owner.name not in m for m in problems)  # nothing revealed


def test_the_seed_plan_sheet_imports_with_its_statuses(people, book):
    due = date.today() + timedelta(days=10)
    rows = [
        [
            "客户名称",
            "跟进时间",
            "跟进方式",
            "跟进内容",
            "客户反馈",
            "下一步计划",
            "负责人",
            "完成状态",
        ],
        [book["rep"].name, due, "电话", "推出季度采购优惠方案", "", "", "张伟", "待完成"],
        [
            book["rep"].name,
            date(2023, 10, 20),
            "微信",
            "了解需求",
            "价格敏感",
            "发资料",
            "张伟",
            "已完成",
        ],
    ]
    batch = _upload(people.rep, rows, "followups")
    assert batch.summary["error"] == 0, batch.summary["samples"]
    importer.commit(people.rep, batch, {})
    plans = {f.content: f for f in FollowUp.objects.filter(customer=book["rep"])}
    assert plans["推出季度采购优惠方案"].status == "todo"
    assert plans["推出季度采购优惠方案"].due_on == due
    done = plans["了解需求"]
    assert done.status == "done" and "价格敏感" in done.result and "发资料" in done.result
    book["rep"].refresh_from_db()
    assert book["rep"].next_followup_at is not None


def test_a_rep_cannot_plan_for_another_rep(people, book):
    rows = [["客户名称", "计划日期", "负责人"], [book["rep"].name, "2030-01-02", "赵磊"]]
    batch = _upload(people.rep, rows, "followups")
    assert batch.summary["error"] == 1


def test_deals_import_through_the_pipeline_rules(people, book):
    rows = [
        ["客户名称", "商机名称", "金额（万元）", "预计成交日期", "阶段", "赢率", "输单原因"],
        [book["rep"].name, "ERP 升级", 12.5, "2030-06-30", "报价", "", ""],
        [book["rep"].name, "旧项目", 3, "", "输单", "", ""],
        [book["rep"].name, "云服务", "8万", "", "赢单", "90%", ""],
    ]
    batch = _upload(people.rep, rows, "deals")
    assert batch.summary["error"] == 1  # lost needs a reason
    importer.commit(people.rep, batch, {"error": "skip"})
    erp = Deal.objects.get(title="ERP 升级")
    assert erp.amount == Decimal("125000.00") and erp.stage.name == "报价"
    assert erp.probability == Stage.objects.get(name="报价").probability
    won = Deal.objects.get(title="云服务")
    assert won.probability == 90
    book["rep"].refresh_from_db()
    assert book["rep"].status == "customer"  # winning a deal makes the customer 成交
    assert won.stage_changes.count() == 1


def test_exported_deals_round_trip_and_move_stage(people, book, login):
    from kehu.pipeline import services as pipeline_services

    pipeline_services.ensure_default_stages()
    deal = pipeline_services.create_deal(
        people.rep, book["rep"], {"title": "续约", "amount": "1000"}
    )
    content = login(people.rep).get("/deals/?format=xlsx").content
    import io

    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    stage_col = header.index("销售阶段")
    edited = [header, [*sheet[1][:stage_col], "合同谈判", *sheet[1][stage_col + 1 :]]]
    batch = _upload(people.rep, edited, "deals")
    assert batch.summary["matched"] == 1, batch.summary["samples"]
    importer.commit(people.rep, batch, {})
    deal.refresh_from_db()
    assert deal.stage.name == "合同谈判" and Deal.objects.count() == 1
    assert deal.stage_changes.count() == 2


@pytest.mark.parametrize("kind", ["interactions", "followups", "deals"])
def test_blank_templates_for_every_sheet(people, login, kind):
    response = login(people.rep).get(f"/sheets/templates/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_csv_plan_sheet_in_gbk(people, book):
    rows = [["客户名称", "计划日期", "跟进方式"], [book["rep"].name, "2030/01/02", "邮件"]]
    batch = services.upload(people.rep, csv_bytes(rows, "gbk"), "plan.csv", "followups")
    importer.commit(people.rep, batch, {})
    assert FollowUp.objects.filter(customer=book["rep"], method="email").exists()
