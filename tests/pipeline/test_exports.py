"""The deal list exported as .xlsx and CSV: every deal its filters select, in its order, real
amounts and dates, the stage drop-down, from the actor's visible deals only."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest

from kehu.pipeline import services
from kehu.pipeline.models import Deal, Stage
from tests.downloads import sheet

HEADER = [
    "商机编号",
    "客户编号",
    "客户名称",
    "商机",
    "金额（元）",
    "预计成交日期",
    "销售阶段",
    "成交概率（%）",
    "负责人",
    "来源渠道",
    "产品",
    "竞争对手",
    "输单原因",
    "创建时间",
    "更新时间",
]


@pytest.fixture
def stages(db):
    services.ensure_default_stages()
    return {s.name: s for s in Stage.objects.all()}


def deal(people, owner, name, title, **data):
    customer = people.customer(owner, name)
    return services.create_deal(owner, customer, {"title": title, **data})


def test_deal_export_has_every_deal_with_real_amounts_and_dates(people, stages, login):
    erp = deal(
        people,
        people.rep,
        "杭州云帆科技有限公司",
        "ERP 升级",
        amount="120000.50",
        expected_close=date(2027, 3, 31),
        channel=people.channel,
        products="ERP、CRM",
        competitor="用友",
    )
    services.move_stage(people.rep, erp, stages["报价"])
    lost = deal(people, people.rep, "杭州小蚂蚁文具店", "文具采购", amount="800")
    services.move_stage(people.rep, lost, stages["输单"], lost_reason="价格高于竞品")
    response = login(people.rep).get("/deals/?format=xlsx")
    rows = sheet(response)
    assert rows[0] == HEADER
    erp.refresh_from_db()
    # the list's order: the most recently changed first
    assert [r[0] for r in rows[1:]] == [lost.pk, erp.pk]
    row = rows[2]
    assert row[:13] == [
        erp.pk,
        erp.customer_id,
        "杭州云帆科技有限公司",
        "ERP 升级",
        120000.5,  # a number cell (money format), not text
        date(2027, 3, 31),
        "报价",
        60,
        "张伟",
        "展会",
        "ERP、CRM",
        "用友",
        "",
    ]
    assert isinstance(row[13], datetime) and isinstance(row[14], datetime)
    assert rows[1][6:8] == ["输单", 0] and rows[1][12] == "价格高于竞品"
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert '"初步接触,需求分析,方案制定,报价,合同谈判,赢单,输单' in xml  # the stage drop-down


def test_deal_export_is_not_limited_to_the_first_page(people, stages, login):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    Deal.objects.bulk_create(
        Deal(customer=customer, title=f"商机{n}", stage=stages["初步接触"], owner=people.rep)
        for n in range(205)
    )
    client = login(people.rep)
    assert len(client.get("/deals/").context["deals"]) == 200
    assert len(sheet(client.get("/deals/?format=xlsx"))) == 206


def test_deal_export_keeps_the_stage_filter(people, stages, login):
    quoted = deal(people, people.rep, "杭州云帆科技有限公司", "ERP 升级")
    services.move_stage(people.rep, quoted, stages["报价"])
    deal(people, people.rep, "杭州小蚂蚁文具店", "文具采购")
    rows = sheet(login(people.rep).get(f"/deals/?stage={stages['报价'].pk}&format=xlsx"))
    assert [r[3] for r in rows[1:]] == ["ERP 升级"]


def test_deal_csv_starts_with_the_bom(people, stages, login):
    deal(people, people.rep, "杭州云帆科技有限公司", "=ERP 升级", amount="99.90")
    response = login(people.rep).get("/deals/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    body = response.getvalue()  # a streamed response reads once
    assert body.startswith(b"\xef\xbb\xbf")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    [header, row] = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == HEADER
    assert row[3] == "'=ERP 升级" and Decimal(row[4]) == Decimal("99.90")


def test_rep_cannot_export_other_reps_deals(people, stages, login):
    deal(people, people.rep, "杭州云帆科技有限公司", "张伟的商机")
    deal(people, people.rep2, "北京星辰网络科技有限公司", "赵磊的商机")
    for query in ("format=xlsx", "scope=team&format=xlsx"):  # a rep has no team view
        rows = sheet(login(people.rep).get(f"/deals/?{query}"))
        assert [r[3] for r in rows[1:]] == ["张伟的商机"]
    manager = sheet(login(people.manager).get("/deals/?scope=team&format=xlsx"))
    assert [r[3] for r in manager[1:]] == ["张伟的商机"]  # 华东 only
    director = sheet(login(people.director).get("/deals/?scope=team&format=xlsx"))
    assert {r[3] for r in director[1:]} == {"张伟的商机", "赵磊的商机"}


def test_deal_export_queries_do_not_grow_with_rows(
    people, stages, login, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            count = Deal.objects.count()
            deal(people, people.rep, f"客户{count}", f"商机{count}", channel=people.channel)

    client = login(people.rep)
    add(3)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get("/deals/?format=xlsx"))) == 4
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/deals/?format=xlsx"))) == 31


def test_the_list_offers_the_export_with_its_query(people, stages, login):
    page = login(people.manager).get(f"/deals/?scope=team&stage={stages['报价'].pk}")
    html = page.content.decode()
    assert f'href="?scope=team&amp;stage={stages["报价"].pk}&amp;format=xlsx"' in html
    assert 'data-testid="export-xlsx"' in html and "导出" in html
