"""The public pool (公海) exported as .xlsx and CSV: every pooled customer the tier filter
selects, newest in the pool first, real dates; the pool is public to sales people, so only
what is in the pool (never a colleague's own customers) and nothing for viewers."""

from datetime import datetime, timedelta

from django.utils import timezone

from kehu.customers.models import Customer
from tests.downloads import csv_rows, drop_downs, sheet

POOL_HEADER = [
    "客户编号",
    "客户名称",
    "分级",
    "所属行业",
    "省份",
    "城市",
    "最后跟进时间",
    "进入公海时间",
]


def pooled(customer, at=None, **data):
    """`customer` released to the pool at `at` (now by default)."""
    Customer.objects.filter(pk=customer.pk).update(
        owner=None, pooled_at=at or timezone.now(), **data
    )


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_pool_export_has_every_pooled_customer_not_only_the_first_200(people, accounts, login):
    Customer.objects.bulk_create(
        Customer(name=f"公海客户{n:03d}", pooled_at=timezone.now()) for n in range(203)
    )
    client = login(people.rep)
    assert len(client.get("/followups/pool/").context["customers"]) == 200
    rows = sheet(client.get("/followups/pool/?format=xlsx"))
    assert rows[0] == POOL_HEADER
    assert len(rows) == 1 + 203
    assert "杭州云帆科技有限公司" not in {r[1] for r in rows[1:]}  # owned, not in the pool


def test_pool_export_writes_the_page_columns_with_real_dates(people, accounts, login):
    pooled(
        accounts["b"],
        at=local(2026, 3, 2, 9, 15),
        province="北京",
        city="海淀区",
        last_contact_at=local(2025, 12, 20, 16, 40),
    )
    response = login(people.rep).get("/followups/pool/?format=xlsx")
    [header, row] = sheet(response)
    assert row == [
        accounts["b"].pk,
        "北京星辰网络科技有限公司",
        "B",
        "信息技术",
        "北京",
        "海淀区",
        datetime(2025, 12, 20, 16, 40),  # in the user's zone, a real date-time cell
        datetime(2026, 3, 2, 9, 15),
    ]
    assert "A,B,C" in drop_downs(response).replace('"', "")  # the tier drop-down


def test_pool_export_keeps_the_tier_filter_and_the_page_order(people, accounts, login):
    now = timezone.now()
    pooled(accounts["a"], at=now - timedelta(days=3))
    pooled(accounts["c"], at=now - timedelta(days=1))
    pooled(accounts["b"], at=now - timedelta(days=2))
    client = login(people.rep2)
    every = sheet(client.get("/followups/pool/?format=xlsx"))
    shown = [c.pk for c in client.get("/followups/pool/").context["customers"]]
    assert [r[0] for r in every[1:]] == shown == [accounts[k].pk for k in ("c", "b", "a")]
    tier_a = sheet(client.get("/followups/pool/?tier=A&format=xlsx"))
    assert [r[1] for r in tier_a[1:]] == ["杭州云帆科技有限公司"]


def test_rep_exports_only_the_pool_and_viewers_get_nothing(people, accounts, login):
    pooled(accounts["b"])
    for who in ("rep", "rep2", "manager", "director"):
        rows = sheet(login(getattr(people, who)).get("/followups/pool/?format=xlsx"))
        # the pool is public to sales people; the customers others still own are not in it
        assert [r[1] for r in rows[1:]] == ["北京星辰网络科技有限公司"], who
    viewer = sheet(login(people.viewer).get("/followups/pool/?format=xlsx"))
    assert viewer == [POOL_HEADER]


def test_pool_csv_starts_with_the_bom(people, accounts, login):
    pooled(accounts["c"], at=local(2026, 3, 2, 9, 15))
    response = login(people.rep).get("/followups/pool/?format=csv")
    assert "attachment" in response["Content-Disposition"]
    [header, row] = csv_rows(response)
    assert header == POOL_HEADER
    assert row[:4] == [str(accounts["c"].pk), "杭州小蚂蚁文具店", "C", "信息技术"]


def test_pool_export_queries_do_not_grow_with_rows(
    people, cadence, login, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            pooled(people.customer(people.rep2, f"客户{Customer.objects.count()}"))

    client = login(people.rep)
    add(3)
    with django_assert_max_num_queries(30) as few:
        assert len(sheet(client.get("/followups/pool/?format=xlsx"))) == 4
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/followups/pool/?format=xlsx"))) == 31


def test_the_pool_page_offers_the_export_with_its_filter(people, accounts, login):
    page = login(people.rep).get("/followups/pool/?tier=B").content.decode()
    assert 'href="?tier=B&amp;format=xlsx"' in page
    assert 'href="?tier=B&amp;format=csv"' in page and "导出" in page
