"""Each service raises its event with a small payload; imports raise one event, not one per row."""

from datetime import timedelta

from django.utils import timezone

from kehu.followups import services as followups
from kehu.pipeline import services as pipeline
from kehu.pipeline.models import Stage
from kehu.sheets import importer
from kehu.sheets import services as sheets
from kehu.tiering import services as tiering
from kehu.tiering.models import TierProposal
from kehu.webhooks.models import Delivery
from tests.sheets.conftest import xlsx


def test_moving_a_deal_raises_deal_stage_changed(people, receiver, subscribe, capture):
    pipeline.ensure_default_stages()
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    deal = pipeline.create_deal(people.rep, customer, {"title": "ERP 升级", "amount": "120000"})
    first, quote = deal.stage, Stage.objects.get(name="报价")
    subscribe("deal.stage_changed")
    with capture(execute=True):
        pipeline.move_stage(people.rep, deal, quote)
    [got] = receiver.requests
    assert got.valid and got.headers["X-Kehu-Event"] == "deal.stage_changed"
    assert got.json["data"] == {
        "deal_id": deal.pk,
        "customer_id": customer.pk,
        "title": "ERP 升级",
        "amount": "120000.00",
        "owner_id": people.rep.pk,
        "from_stage": {"id": first.pk, "name": first.name, "kind": "open"},
        "to_stage": {"id": quote.pk, "name": "报价", "kind": "open"},
    }


def test_logging_an_interaction_raises_interaction_logged(people, receiver, subscribe, capture):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    subscribe("interaction.logged")
    with capture(execute=True):
        interaction = followups.log_interaction(
            people.rep, customer, method="phone", content="确认了下季度采购计划"
        )
    [got] = receiver.requests
    data = got.json["data"]
    assert got.valid and data["interaction_id"] == interaction.pk
    assert (data["customer_id"], data["user_id"], data["method"]) == (
        customer.pk,
        people.rep.pk,
        "phone",
    )
    assert data["at"].startswith(interaction.at.isoformat()[:19])
    assert "content" not in data  # what was said stays in Kehu


def test_applying_approved_tier_changes_raises_one_tier_changed(
    people, receiver, subscribe, capture
):
    a = people.customer(people.rep, "杭州云帆科技有限公司", tier="C")
    b = people.customer(people.rep2, "北京星辰网络科技有限公司", tier="B")
    today = timezone.localdate()
    for customer, to in ((a, "A"), (b, "C")):
        TierProposal.objects.create(
            customer=customer,
            from_tier=customer.tier,
            to_tier=to,
            status=TierProposal.Status.APPROVED,
            effective_on=today - timedelta(days=1),
        )
    subscribe("tier.changed")
    with capture(execute=True):
        assert tiering.apply_due() == 2
    [got] = receiver.requests
    changes = sorted(got.json["data"]["changes"], key=lambda c: c["customer_id"])
    assert got.valid and changes == [
        {"customer_id": a.pk, "from_tier": "C", "to_tier": "A", "source": "review"},
        {"customer_id": b.pk, "from_tier": "B", "to_tier": "C", "source": "review"},
    ]
    with capture(execute=True):
        assert tiering.apply_due() == 0
    assert len(receiver.requests) == 1  # nothing applied, nothing raised


def test_an_import_raises_import_finished_and_no_event_per_row(
    people, receiver, subscribe, capture
):
    subscribe()  # every event
    rows = [["客户名称", "所属行业"]] + [[f"测试{i}号科技有限公司", "信息技术"] for i in range(30)]
    batch = sheets.upload(people.director, xlsx(rows), "客户.xlsx")
    with capture(execute=True):
        batch = importer.commit(people.director, batch, {"error": "skip"})
    assert batch.status == "done"
    [got] = receiver.requests
    data = got.json["data"]
    assert got.valid and got.headers["X-Kehu-Event"] == "import.finished"
    assert (data["batch_id"], data["kind"], data["status"], data["rows"]) == (
        batch.pk,
        "customers",
        "done",
        30,
    )
    assert data["counts"]["created"] == 30 and data["by_id"] == people.director.pk
    assert list(Delivery.objects.values_list("event", flat=True)) == ["import.finished"]


def test_a_deals_import_moving_stages_raises_only_import_finished(
    people, receiver, subscribe, capture
):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    subscribe()
    rows = [
        ["客户名称", "商机名称", "金额（万元）", "预计成交日期", "阶段", "赢率", "输单原因"],
        [customer.name, "ERP 升级", 12.5, "2030-06-30", "报价", "", ""],
        [customer.name, "云服务", "8万", "", "赢单", "90%", ""],
    ]
    batch = sheets.upload(people.rep, xlsx(rows), "s.xlsx", "deals")
    with capture(execute=True):
        importer.commit(people.rep, batch, {"error": "skip"})
    assert [r.json["event"] for r in receiver.requests] == ["import.finished"]
