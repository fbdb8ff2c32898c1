"""The quotas page (the allowance of each tier) exported as .xlsx and CSV: the matrix as the
page shows it, amounts as real numbers, the same for everyone who may see the page."""

from django.urls import reverse

from kehu.quotas import services
from kehu.quotas.models import Quota
from tests.downloads import csv_rows, drop_downs, sheet

HEADER = ["配额", "单位", "周期", "A 级", "B 级", "C 级", "超额处理", "启用"]
MATRIX = [
    HEADER,
    ["免费样品", "pieces", "每季度", 10, 4, 0, "经理审批", "是"],
    ["技术支持工时", "hours", "每月", 20, 8, 2, "经理审批", "是"],
    ["折扣上限", "%", "单次上限", 15, 10, 5, "拒绝", "是"],
]


def training(director, **data):
    """上门培训, times a year, none for tier C (left blank), switched off."""
    return services.save_quota(
        director,
        {
            "name": "上门培训",
            "unit": "次",
            "kind": "allowance",
            "period": "year",
            "over_use": "refuse",
            "active": False,
            "allowance_A": "4",
            "allowance_B": "1.5",
            "allowance_C": "",
            **data,
        },
    )


def test_the_quota_matrix_exports_as_the_page_shows_it(people, quotas, login):
    client = login(people.director)
    response = client.get(f"{reverse('quotas:list')}?format=xlsx")
    rows = sheet(response)
    assert rows == MATRIX
    page = client.get(reverse("quotas:list"))
    assert [r[0] for r in rows[1:]] == [q.name for q, _amounts in page.context["rows"]]
    assert "%E5%AE%A2%E6%88%B7%E9%85%8D%E9%A2%9D-" in response["Content-Disposition"]  # 客户配额
    assert 'data-testid="export-xlsx"' in page.content.decode()


def test_a_tier_without_allowance_is_blank_and_inactive_quotas_say_so(people, quotas, login):
    training(people.director)
    rows = sheet(login(people.director).get("/quotas/?format=xlsx"))
    assert ["上门培训", "次", "每年", 4, 1.5, "", "拒绝", "否"] in rows
    response = login(people.director).get("/quotas/?format=xlsx")
    assert "拒绝,经理审批" in drop_downs(response).replace('"', "")  # the over-use drop-down
    assert "每月,每季度,每年,单次上限" in drop_downs(response).replace('"', "")


def test_everyone_who_sees_the_matrix_exports_the_same_one(people, quotas, login):
    for who in (people.rep, people.manager, people.viewer, people.admin):
        assert sheet(login(who).get("/quotas/?format=xlsx")) == MATRIX, who
    # a rep posting to the export URL is still refused, and nothing changes
    assert login(people.rep).post("/quotas/?format=xlsx", {"name": "x"}).status_code == 404
    assert Quota.objects.count() == 3


def test_the_export_ignores_the_quota_being_edited(people, quotas, login):
    client = login(people.director)
    page = client.get(f"/quotas/?edit={quotas['hours'].pk}")
    assert f"?edit={quotas['hours'].pk}&amp;format=csv" in page.content.decode()
    assert sheet(client.get(f"/quotas/?edit={quotas['hours'].pk}&format=xlsx")) == MATRIX


def test_quota_csv_starts_with_the_bom(people, quotas, login):
    services.save_quota(
        people.director,
        {
            "name": "=折扣",
            "unit": "-%",
            "kind": "ceiling",
            "period": "none",
            "over_use": "refuse",
            "allowance_A": "12.5",
        },
    )
    rows = csv_rows(login(people.rep).get("/quotas/?format=csv"))
    assert rows[0] == HEADER
    assert rows[1] == ["'=折扣", "'-%", "单次上限", "12.50", "", "", "拒绝", "是"]
    assert rows[3] == ["技术支持工时", "hours", "每月", "20.00", "8.00", "2.00", "经理审批", "是"]


def test_the_quota_export_queries_do_not_grow_with_the_quotas(
    people, quotas, login, django_assert_max_num_queries
):
    client = login(people.rep)
    with django_assert_max_num_queries(10) as few:
        assert len(sheet(client.get("/quotas/?format=xlsx"))) == 1 + 3
    for n in range(5):
        training(people.director, name=f"上门培训{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(sheet(client.get("/quotas/?format=xlsx"))) == 1 + 8
