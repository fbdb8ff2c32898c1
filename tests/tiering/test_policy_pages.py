"""The policy editor with its what-if preview, publishing and running from the page."""

import io
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from kehu.tiering.models import TierPolicy, TierProposal


@pytest.fixture
def book(people):
    made = []
    for i, amount in enumerate([900_000, 500_000, 300_000, 100_000, 10_000]):
        made.append(
            people.customer(
                people.rep,
                f"杭州测试{i}科技有限公司",
                cooperation_amount=str(amount),
                annual_budget=str(amount),
                tier="C",
            )
        )
    return made


def form_data(**extra):
    data = {
        "name": "默认客户分级",
        "cutoff": "share",
        "use_purchase_amount": "on",
        "weight_purchase_amount": "70",
        "norm_purchase_amount": "percentile",
        "higher_purchase_amount": "on",
        "use_potential_revenue": "on",
        "weight_potential_revenue": "30",
        "norm_potential_revenue": "minmax",
        "higher_potential_revenue": "on",
        "label_0": "A",
        "value_0": "20",
        "label_1": "B",
        "value_1": "40",
        "label_2": "C",
        "value_2": "40",
    }
    for key in (
        "satisfaction",
        "recency_days",
        "loyalty_years",
        "industry_growth",
        "cooperation_willingness",
    ):
        data[f"norm_{key}"] = "minmax"
    data.update(extra)
    return data


def test_only_directors_reach_the_policy_pages(people, login):
    assert login(people.manager).get("/tiering/policies/").status_code == 404
    assert login(people.rep).get("/tiering/policies/new/").status_code == 404
    assert login(people.director).get("/tiering/policies/new/").status_code == 200


def test_preview_shows_the_distribution_and_movers_without_writing(people, book, login):
    response = login(people.director).post("/tiering/policies/new/", form_data(action="preview"))
    preview = response.context["preview"]
    assert preview["after"] == {"A": 1, "B": 2, "C": 2}
    assert preview["moved"] == 3
    assert [m["name"] for m in preview["movers"]][0] == "杭州测试0科技有限公司"
    assert preview["matrix"]["C"] == {"A": 1, "B": 2, "C": 2}
    assert not TierPolicy.objects.exists() and not TierProposal.objects.exists()


def test_movers_export_as_xlsx_lists_every_mover_with_a_frozen_header(people, book, login):
    response = login(people.director).post("/tiering/policies/new/", form_data(action="export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0] == ["客户编号", "客户名称", "原分级", "新分级", "评分"]
    assert [book[0].pk, "杭州测试0科技有限公司", "C", "A"] == [int(rows[1][0]), *rows[1][1:4]]
    assert isinstance(rows[1][4], float)  # a number cell, not text
    preview = login(people.director).post("/tiering/policies/new/", form_data(action="preview"))
    moved = preview.context["preview"]["moved"]
    assert moved >= 2
    assert len(rows) == 1 + moved  # the header, then every mover (the page shows 200 at most)


def test_movers_export_as_csv_opens_in_excel(people, book, login):
    response = login(people.director).post("/tiering/policies/new/", form_data(action="export-csv"))
    body = response.getvalue()  # a streamed response reads once
    assert body.startswith("\ufeff".encode())
    assert response["Content-Type"].startswith("text/csv")
    assert "杭州测试0科技有限公司,C,A" in body.decode("utf-8-sig")


def test_weights_that_do_not_add_up_are_shown_on_the_form(people, book, login):
    response = login(people.director).post(
        "/tiering/policies/new/", form_data(action="preview", weight_potential_revenue="20")
    )
    assert "90" in " ".join(response.context["form"].non_field_errors())
    assert response.context["preview"] is None


def test_bad_thresholds_are_shown_on_their_field(people, book, login):
    response = login(people.director).post(
        "/tiering/policies/new/",
        form_data(
            action="preview",
            use_recency_days="on",
            weight_recency_days="0",
            norm_recency_days="thresholds",
            thr_recency_days="thirty",
        ),
    )
    assert response.context["form"].errors["thr_recency_days"]


def test_save_publish_and_run_from_the_pages(people, book, login):
    client = login(people.director)
    assert client.post("/tiering/policies/new/", form_data(action="save")).status_code == 302
    policy = TierPolicy.objects.get()
    assert policy.status == "draft" and policy.tiers.get(label="A").value == Decimal("0.2")
    client.post(f"/tiering/policies/{policy.pk}/publish/")
    policy.refresh_from_db()
    assert policy.status == "published"
    client.post(f"/tiering/policies/{policy.pk}/run/")
    assert TierProposal.objects.filter(status="pending").count() == 3
    assert "默认客户分级 v1" in client.get("/tiering/policies/").content.decode()


def test_policy_errors_are_in_the_readers_language(people, book, login):
    response = login(people.director).post(
        "/tiering/policies/new/", form_data(action="preview", weight_potential_revenue="20")
    )
    assert "权重: 权重合计为 90，不是 100。" in response.content.decode()
