"""The tier reviews queue and the tier history exported as .xlsx and CSV: every row the page's
filters select, real dates and numbers, from the actor's visible set only."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kehu.tiering import services, views
from kehu.tiering.models import TierChange, TierProposal, TierRun, TierSnapshot
from tests.downloads import csv_rows, sheet, xlsx_book

DAY = timezone.localdate() - timedelta(days=1)
REVIEW_HEADER = ["客户编号", "客户名称", "负责人", "原分级", "新分级", "评分", "评审轮次", "理由"]
HISTORY_SHEETS = ["分级迁移", "每次重新分级的分布", "各级客户数量变化"]
CORNER = "原分级 \\ 新分级"


@pytest.fixture
def ran(people, book, policy):
    """The published policy has run once: 杭州云帆 (C, scoring 100) is proposed for A."""
    services.run_tiering(people.director, policy)
    return book


def change(customer, from_tier, to_tier, days_ago=0):
    c = TierChange.objects.create(
        customer=customer, from_tier=from_tier, to_tier=to_tier, source="review"
    )
    if days_ago:
        TierChange.objects.filter(pk=c.pk).update(at=timezone.now() - timedelta(days=days_ago))
    return c


# --- the review queue -----------------------------------------------------------------------
def test_manager_exports_every_proposal_waiting_not_only_the_first_page(
    people, ran, login, monkeypatch
):
    big, mid, _small = ran
    services.propose_change(people.rep, mid, "A", "新签年度框架协议")
    monkeypatch.setattr(views, "REVIEW_LIMIT", 1)
    client = login(people.manager)
    assert len(client.get("/tiering/reviews/").context["proposals"]) == 1
    rows = sheet(client.get("/tiering/reviews/?format=xlsx"))
    assert rows == [
        REVIEW_HEADER,
        [big.pk, "杭州云帆科技有限公司", "张伟", "C", "A", 100, 1, "重新分级"],  # oldest first
        [mid.pk, "宁波海纳贸易有限公司", "张伟", "B", "A", "", 1, "张伟: 新签年度框架协议"],
    ]


def test_the_review_page_offers_the_export_with_its_query(people, ran, login):
    html = login(people.director).get("/tiering/reviews/?x=1").content.decode()
    assert 'data-testid="export-xlsx"' in html and "?x=1&amp;format=csv" in html


def test_manager_does_not_export_proposals_outside_the_team(people, ran, login):
    *_, beijing = ran
    TierProposal.objects.create(customer=beijing, from_tier="C", to_tier="B", reason="北京")
    manager = sheet(login(people.manager).get("/tiering/reviews/?format=xlsx"))
    assert [r[1] for r in manager[1:]] == ["杭州云帆科技有限公司"]  # 华东 only
    director = csv_rows(login(people.director).get("/tiering/reviews/?format=csv"))
    assert [r[1] for r in director[1:]] == ["杭州云帆科技有限公司", "北京星辰网络科技有限公司"]


def test_a_rep_has_no_review_queue_to_export(people, ran, login):
    for fmt in ("xlsx", "csv"):
        assert login(people.rep).get(f"/tiering/reviews/?format={fmt}").status_code == 404


def test_review_csv_starts_with_the_bom(people, ran, login):
    big, mid, _small = ran
    TierProposal.objects.create(customer=mid, from_tier="B", to_tier="A", reason="=1+1 大单")
    [header, *rows] = csv_rows(login(people.director).get("/tiering/reviews/?format=csv"))
    assert header == REVIEW_HEADER
    assert rows[0] == [
        str(big.pk),
        "杭州云帆科技有限公司",
        "张伟",
        "C",
        "A",
        "100.00",
        "1",
        "重新分级",
    ]
    assert rows[1][-1] == "'=1+1 大单"  # text, never a formula


def test_review_export_queries_do_not_grow_with_the_proposals(
    people, ran, login, django_assert_max_num_queries
):
    client = login(people.manager)

    def add(n):
        for i in range(n):
            c = people.customer(people.rep, f"客户{TierProposal.objects.count()}-{i}", tier="C")
            services.propose_change(people.rep, c, "B", "采购量上升")

    with django_assert_max_num_queries(20) as few:
        assert len(sheet(client.get("/tiering/reviews/?format=xlsx"))) == 1 + 1
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/tiering/reviews/?format=xlsx"))) == 1 + 6


# --- the tier history -----------------------------------------------------------------------
def test_history_export_has_one_sheet_per_table(people, ran, login):
    big, mid, small = ran
    change(big, "C", "A")
    change(small, "", "C")
    services.record_snapshot(DAY)
    run = TierRun.objects.get()
    response = login(people.director).get("/tiering/history/?format=xlsx")
    workbook = xlsx_book(response)
    assert workbook.sheet_names == HISTORY_SHEETS
    assert "%E5%88%86%E7%BA%A7%E5%8E%86%E5%8F%B2-" in response["Content-Disposition"]  # 分级历史
    transitions, runs, over_time = (workbook.get_sheet_by_index(i).to_python() for i in range(3))
    assert transitions == [
        [CORNER, "A", "C", "—"],
        ["A", 0, 0, 0],
        ["C", 1, 0, 0],
        ["—", 0, 1, 0],
    ]
    started = timezone.localtime(run.started_at).replace(tzinfo=None, microsecond=0)
    [header, row] = runs
    assert header == ["开始时间", "分级方案", "A", "B", "C"]
    assert row[0].replace(microsecond=0) == started and isinstance(row[0], datetime)
    assert row[1:] == ["默认客户分级 v1", 1, 1, 1]
    assert over_time == [["日期", "B", "C"], [DAY, 1, 2]]  # the tiers customers have now


def test_history_export_keeps_the_since_until_filter(people, ran, login):
    big, mid, _small = ran
    change(big, "C", "A", days_ago=40)
    change(mid, "B", "A", days_ago=10)
    client = login(people.director)
    since = (timezone.localdate() - timedelta(days=20)).isoformat()
    recent = sheet(client.get(f"/tiering/history/?since={since}&format=xlsx"))
    assert recent == [[CORNER, "A", "B"], ["A", 0, 0], ["B", 1, 0]]
    start = (timezone.localdate() - timedelta(days=50)).isoformat()
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    old = sheet(client.get(f"/tiering/history/?since={start}&until={until}&format=xlsx"))
    assert old == [[CORNER, "A", "C"], ["A", 0, 0], ["C", 1, 0]]
    page = client.get(f"/tiering/history/?since={start}&until={until}")
    assert page.context["transitions"]["matrix"] == {"A": {"A": 0, "C": 0}, "C": {"A": 1, "C": 0}}
    assert f"since={start}&amp;until={until}&amp;format=xlsx" in page.content.decode()


def test_rep_exports_only_the_history_of_own_customers(people, ran, login):
    big, _mid, beijing = ran
    change(big, "C", "A")
    change(beijing, "C", "B")  # 赵磊's customer
    services.record_snapshot(DAY)
    rep = xlsx_book(login(people.rep).get("/tiering/history/?format=xlsx"))
    assert rep.get_sheet_by_index(0).to_python() == [[CORNER, "A", "C"], ["A", 0, 0], ["C", 1, 0]]
    # 张伟's customers only: 宁波海纳 (B) and 杭州云帆 (C), not 北京星辰 (C)
    assert rep.get_sheet_by_index(2).to_python() == [["日期", "B", "C"], [DAY, 1, 1]]
    director = csv_rows(login(people.director).get("/tiering/history/?format=csv"))
    assert director == [
        [CORNER, "A", "B", "C"],
        ["A", "0", "0", "0"],
        ["B", "0", "0", "0"],
        [
            "C",
            "1",
            "1",
            "0",
        ],
    ]


def test_history_csv_is_the_transition_matrix_with_the_bom(people, ran, login):
    big, *_ = ran
    change(big, "C", "A")
    rows = csv_rows(login(people.rep).get("/tiering/history/?format=csv"))
    assert rows == [[CORNER, "A", "C"], ["A", "0", "0"], ["C", "1", "0"]]


def test_history_export_lists_every_run_not_only_the_latest(people, ran, login, monkeypatch):
    monkeypatch.setattr(views, "RUN_LIMIT", 1)
    run = TierRun.objects.get()
    for _ in range(2):
        run.pk = None
        run.active = None
        run.save()
    client = login(people.director)
    assert len(client.get("/tiering/history/").context["runs"]) == 1
    runs = xlsx_book(client.get("/tiering/history/?format=xlsx")).get_sheet_by_index(1).to_python()
    assert len(runs) == 1 + 3


def test_history_export_queries_do_not_grow_with_the_rows(
    people, ran, login, django_assert_max_num_queries
):
    client = login(people.director)
    big, mid, small = ran
    change(big, "C", "A")
    services.record_snapshot(DAY)
    with django_assert_max_num_queries(20) as few:
        sheet(client.get("/tiering/history/?format=xlsx"))
    run = TierRun.objects.get()
    for n in range(2, 7):
        day = DAY - timedelta(days=n)
        services.record_snapshot(day)
        run.pk = None
        run.active = None
        run.save()
        change(mid, "B", "A")
        change(small, "C", "B")
        TierSnapshot.objects.create(day=day, tier="A", customers=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        workbook = xlsx_book(client.get("/tiering/history/?format=xlsx"))
    assert len(workbook.get_sheet_by_index(1).to_python()) == 1 + 6
    assert len(workbook.get_sheet_by_index(2).to_python()) == 1 + 6
