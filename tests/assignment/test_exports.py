"""The unassigned leads (未分配线索) exported as .xlsx and CSV: every waiting lead of the teams
the actor manages, oldest first, with why it waits and when the manager was told."""

from datetime import datetime

from django.utils import timezone

from kehu.assignment import services, views
from kehu.customers.models import Customer
from tests.downloads import csv_rows, sheet

from .conftest import queue
from .test_assignment import profile

HEADER = ["客户编号", "客户名称", "分级", "团队", "等待起始时间", "原因", "通知经理时间"]


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_manager_exports_every_waiting_lead_not_only_the_first_page(
    people, login, east_rule, monkeypatch
):
    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    leads = queue(people.east, 5, tier="B")
    client = login(people.manager)
    assert len(client.get("/assignment/unassigned/").context["rows"]) == 2
    rows = sheet(client.get("/assignment/unassigned/?format=xlsx"))
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == [c.pk for c in leads]  # oldest first, as on the page
    assert {r[3] for r in rows[1:]} == {"华东大区"} and {r[2] for r in rows[1:]} == {"B"}


def test_export_writes_why_and_when_the_manager_was_told(people, login, east_rule):
    profile(people.rep, limit=0)
    profile(people.rep3, limit=0)
    [lead] = queue(people.east, 1, tier="A")
    Customer.objects.filter(pk=lead.pk).update(created_at=local(2026, 3, 2, 9, 15))
    services.run(None, people.east)  # nobody can take it: it waits, its manager is told
    [_header, row] = sheet(login(people.manager).get("/assignment/unassigned/?format=xlsx"))
    assert row[:5] == [lead.pk, lead.name, "A", "华东大区", datetime(2026, 3, 2, 9, 15)]
    assert "客户上限" in row[5]  # the reason of the run, in the site's language
    assert isinstance(row[6], datetime)  # a real date-time cell


def test_export_says_why_a_lead_never_ran(people, login):
    queue(people.hangzhou, 1, prefix="无规则")  # the team has no rule switched on
    Customer.objects.create(name="无团队线索")
    rows = sheet(login(people.director).get("/assignment/unassigned/?format=xlsx"))
    assert [(r[1].startswith("无规则"), r[5], r[6]) for r in rows[1:]] == [
        (True, "该团队没有启用线索分配规则。", ""),  # no run yet: nobody was told
        (False, "未归属团队：请手动指定负责人。", ""),
    ]


def test_manager_exports_only_their_teams_leads_and_reps_get_nothing(people, login):
    queue(people.shanghai, 2, prefix="上海")
    queue(people.beijing, 3, prefix="北京")
    Customer.objects.create(name="无团队线索")
    manager = sheet(login(people.manager).get("/assignment/unassigned/?format=xlsx"))
    assert {r[3] for r in manager[1:]} == {"上海组"} and len(manager) == 1 + 2
    director = sheet(login(people.director).get("/assignment/unassigned/?format=xlsx"))
    assert len(director) == 1 + 6
    for who in ("rep", "rep2", "viewer"):
        client = login(getattr(people, who))
        assert client.get("/assignment/unassigned/?format=xlsx").status_code == 404
        assert client.get("/assignment/unassigned/?format=csv").status_code == 404


def test_unassigned_csv_starts_with_the_bom(people, login):
    [lead] = queue(people.hangzhou, 1, tier="C")
    response = login(people.manager).get("/assignment/unassigned/?format=csv")
    assert "attachment" in response["Content-Disposition"]
    [header, row] = csv_rows(response)
    assert header == HEADER
    assert row[:4] == [str(lead.pk), lead.name, "C", "杭州组"]


def test_unassigned_export_queries_do_not_grow_with_rows(
    people, login, east_rule, django_assert_max_num_queries
):
    profile(people.rep, limit=0)
    profile(people.rep3, limit=0)
    client = login(people.director)

    def add(n):
        queue(people.east, n, prefix=f"线索{Customer.objects.count()}-")
        queue(people.north, n, prefix=f"线索{Customer.objects.count()}-")  # no rule
        services.run(None, people.east)  # the east ones wait with a reason

    add(2)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get("/assignment/unassigned/?format=xlsx"))) == 1 + 4
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/assignment/unassigned/?format=xlsx"))) == 1 + 44


def test_the_unassigned_page_offers_the_export(people, login):
    page = login(people.manager).get("/assignment/unassigned/").content.decode()
    assert 'href="?format=xlsx"' in page and 'href="?format=csv"' in page and "导出" in page
