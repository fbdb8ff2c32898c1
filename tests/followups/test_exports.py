"""The interaction log and the follow-up plan (表2) exported as .xlsx and CSV: every row the
page's filters select, real dates, drop-downs, from the actor's visible set only."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.followups import services, views
from kehu.followups.models import FollowUp, Interaction
from tests.downloads import csv_rows, drop_downs, sheet

INTERACTION_HEADER = [
    "客户编号",
    "客户名称",
    "联系人",
    "操作人",
    "时间",
    "跟进方式",
    "跟进内容",
    "客户反馈",
    "下一步计划",
    "下次跟进",
    "商机",
]
PLAN_HEADER = [
    "客户编号",
    "客户名称",
    "负责人",
    "计划日期",
    "跟进方式",
    "计划内容",
    "状态",
    "跟进结果",
    "来源",
]


def log(actor, customer, **data):
    data.setdefault("method", "phone")
    data.setdefault("content", "电话回访")
    return services.log_interaction(actor, customer, **data)


def test_interaction_export_has_every_row_not_only_the_first_page(
    people, accounts, login, monkeypatch
):
    monkeypatch.setattr(views, "SHEET_ROWS", 2)
    for n in range(3):
        log(people.rep, accounts["a"], content=f"第{n}次电话")
    client = login(people.rep)
    assert len(client.get("/followups/interactions/").context["rows"]) == 2
    rows = sheet(client.get("/followups/interactions/?format=xlsx"))
    assert rows[0] == INTERACTION_HEADER
    assert sorted(r[6] for r in rows[1:]) == ["第0次电话", "第1次电话", "第2次电话"]


def test_interaction_export_writes_real_dates_and_every_field(people, accounts, login, stages):
    from kehu.pipeline import services as pipeline_services

    contact = customer_services.add_contact(people.rep, accounts["a"], {"name": "王经理"})
    deal = pipeline_services.create_deal(people.rep, accounts["a"], {"title": "ERP 升级"})
    at = timezone.make_aware(datetime(2026, 3, 2, 10, 30))
    next_on = timezone.localdate() + timedelta(days=10)
    log(
        people.rep,
        accounts["a"],
        method="visit",
        content="=HYPERLINK(1)",
        at=at,
        contact=contact,
        feedback="价格可以再谈",
        next_step="发报价",
        next_on=next_on,
        deal=deal,
    )
    response = login(people.rep).get("/followups/interactions/?format=xlsx")
    [header, row] = sheet(response)
    assert row == [
        accounts["a"].pk,
        "杭州云帆科技有限公司",
        "王经理",
        "张伟",
        datetime(2026, 3, 2, 10, 30),  # in the user's zone, a real date-time cell
        "拜访",
        "=HYPERLINK(1)",  # text, never a formula
        "价格可以再谈",
        "发报价",
        next_on,
        "ERP 升级",
    ]
    assert "<f>" not in drop_downs(response)
    assert "电话,微信" in drop_downs(response).replace('"', "")  # the method drop-down


def test_interaction_export_keeps_the_page_filters(people, accounts, login):
    log(people.rep, accounts["a"], method="phone", content="电话")
    old = log(people.rep, accounts["c"], method="wechat", content="微信")
    Interaction.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=20))
    client = login(people.rep)
    wechat = sheet(client.get("/followups/interactions/?method=wechat&format=xlsx"))
    assert [r[6] for r in wechat[1:]] == ["微信"]
    since = (timezone.localdate() - timedelta(days=5)).isoformat()
    recent = sheet(client.get(f"/followups/interactions/?since={since}&format=xlsx"))
    assert [r[6] for r in recent[1:]] == ["电话"]


def test_interaction_csv_starts_with_the_bom(people, accounts, login):
    log(people.rep, accounts["a"], content="-5 元优惠")
    response = login(people.rep).get("/followups/interactions/?format=csv")
    assert "attachment" in response["Content-Disposition"]
    [header, row] = csv_rows(response)
    assert header == INTERACTION_HEADER
    assert row[1] == "杭州云帆科技有限公司" and row[6] == "'-5 元优惠"


def test_rep_cannot_export_other_reps_interactions(people, accounts, login):
    log(people.rep, accounts["a"], content="张伟的电话")
    log(people.rep2, accounts["b"], content="赵磊的拜访")
    for query in ("format=xlsx", "scope=team&format=xlsx"):  # a rep has no team view
        rows = sheet(login(people.rep).get(f"/followups/interactions/?{query}"))
        assert [r[6] for r in rows[1:]] == ["张伟的电话"]
    manager = sheet(login(people.manager).get("/followups/interactions/?scope=team&format=xlsx"))
    assert [r[6] for r in manager[1:]] == ["张伟的电话"]  # 华东 only
    director = csv_rows(
        login(people.director).get("/followups/interactions/?scope=team&format=csv")
    )
    assert {r[1] for r in director[1:]} == {"杭州云帆科技有限公司", "北京星辰网络科技有限公司"}


def test_interaction_export_queries_do_not_grow_with_rows(
    people, cadence, login, stages, django_assert_max_num_queries
):
    from kehu.pipeline import services as pipeline_services

    def add(n):
        for _ in range(n):
            customer = people.customer(people.rep, f"客户{Interaction.objects.count()}")
            contact = customer_services.add_contact(people.rep, customer, {"name": "联系人"})
            deal = pipeline_services.create_deal(people.rep, customer, {"title": "商机"})
            log(people.rep, customer, contact=contact, deal=deal)

    client = login(people.rep)
    add(3)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get("/followups/interactions/?format=xlsx"))) == 4
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/followups/interactions/?format=xlsx"))) == 31


# --- the follow-up plan (表2) ------------------------------------------------------------------
def test_plan_export_has_every_row_and_the_seed_columns(people, accounts, login, monkeypatch):
    monkeypatch.setattr(views, "SHEET_ROWS", 1)
    services.plan_all()
    client = login(people.rep)
    shown = client.get("/followups/plans/").context["rows"]
    planned = FollowUp.objects.filter(owner=people.rep).order_by("due_on", "pk")
    assert len(shown) == 1 < planned.count()
    response = client.get("/followups/plans/?format=xlsx")
    rows = sheet(response)
    assert rows[0] == PLAN_HEADER
    assert [(r[0], r[3]) for r in rows[1:]] == [(f.customer_id, f.due_on) for f in planned]
    assert all(isinstance(r[3], date) for r in rows[1:])  # real date cells
    assert {r[2] for r in rows[1:]} == {"张伟"}
    assert {r[6] for r in rows[1:]} == {"待完成"} and {r[8] for r in rows[1:]} == {"按频率"}
    xml = drop_downs(response).replace('"', "")
    assert "待完成,进行中,已完成,已取消" in xml and "电话,微信" in xml


def test_plan_export_keeps_the_status_filter_and_writes_results(people, accounts, login):
    services.plan_all()
    FollowUp.objects.filter(customer=accounts["c"]).update(
        due_on=timezone.localdate() - timedelta(days=3)
    )
    log(people.rep, accounts["a"], content="完成回访")
    client = login(people.rep)
    overdue = sheet(client.get("/followups/plans/?status=overdue&format=xlsx"))
    assert {r[1] for r in overdue[1:]} == {"杭州小蚂蚁文具店"}
    done = csv_rows(client.get("/followups/plans/?status=done&format=csv"))
    assert done[0] == PLAN_HEADER
    assert [(r[1], r[6], r[7]) for r in done[1:]] == [
        ("杭州云帆科技有限公司", "已完成", "完成回访")
    ]


def test_rep_cannot_export_other_reps_plans(people, accounts, login):
    services.plan_all()
    for query in ("format=xlsx", "scope=team&format=xlsx"):
        rows = sheet(login(people.rep).get(f"/followups/plans/?{query}"))
        assert {r[1] for r in rows[1:]} == {"杭州云帆科技有限公司", "杭州小蚂蚁文具店"}
    rep2 = sheet(login(people.rep2).get("/followups/plans/?format=xlsx"))
    assert {r[1] for r in rep2[1:]} == {"北京星辰网络科技有限公司"}


def test_plan_export_queries_do_not_grow_with_rows(
    people, cadence, login, django_assert_max_num_queries
):
    due = timezone.localdate() + timedelta(days=30)

    def add(n):
        for _ in range(n):
            customer = people.customer(people.rep, f"客户{FollowUp.objects.count()}")
            services.plan_followup(people.rep, customer, due_on=due, method="phone", content="回访")

    client = login(people.rep)
    add(3)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get("/followups/plans/?format=xlsx"))) == 4
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/followups/plans/?format=xlsx"))) == 31


def test_the_pages_offer_the_export_with_their_query(people, accounts, login):
    client = login(people.manager)
    page = client.get("/followups/interactions/?scope=team&method=phone").content.decode()
    assert 'href="?scope=team&amp;method=phone&amp;format=xlsx"' in page
    assert 'href="?scope=team&amp;method=phone&amp;format=csv"' in page
    plans = client.get("/followups/plans/").content.decode()
    assert 'href="?format=xlsx"' in plans and "导出" in plans


@pytest.fixture
def stages(db):
    from kehu.pipeline import services as pipeline_services

    pipeline_services.ensure_default_stages()
