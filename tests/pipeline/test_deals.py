"""Deals: creation, the stage-change rules, history, what winning does, access, the board."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.pipeline import queries, services
from kehu.pipeline.models import Deal, Stage, StageChange


@pytest.fixture
def stages(db):
    services.ensure_default_stages()
    return {s.name: s for s in Stage.objects.all()}


@pytest.fixture
def deal(people, stages):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    return services.create_deal(people.rep, customer, {"title": "ERP 升级", "amount": "120000"})


def test_a_new_deal_starts_in_the_first_stage_with_its_probability(deal, stages):
    assert deal.stage == stages["初步接触"] and deal.probability == 10
    assert not deal.probability_manual
    assert StageChange.objects.get(deal=deal).to_stage == stages["初步接触"]


def test_moving_records_time_and_actor_and_follows_the_stage_probability(people, deal, stages):
    services.move_stage(people.rep, deal, stages["报价"])
    deal.refresh_from_db()
    assert deal.probability == 60
    change = StageChange.objects.filter(deal=deal).last()
    assert (change.from_stage, change.to_stage, change.by) == (
        stages["初步接触"],
        stages["报价"],
        people.rep,
    )


def test_a_probability_set_by_hand_stays_until_reset(people, deal, stages):
    services.update_deal(people.rep, deal, {"title": deal.title, "probability": 35})
    services.move_stage(people.rep, deal, stages["合同谈判"])
    deal.refresh_from_db()
    assert deal.probability == 35 and deal.probability_manual
    services.reset_probability(people.rep, deal)
    deal.refresh_from_db()
    assert deal.probability == 80 and not deal.probability_manual


def test_losing_needs_a_reason(people, deal, stages):
    with pytest.raises(ValidationError) as err:
        services.move_stage(people.rep, deal, stages["输单"])
    assert "lost_reason" in err.value.message_dict
    services.move_stage(people.rep, deal, stages["输单"], lost_reason="价格高于竞品")
    deal.refresh_from_db()
    assert deal.lost_reason == "价格高于竞品" and deal.closed_at is not None


def test_winning_makes_the_customer_a_customer(people, deal, stages):
    services.move_stage(people.rep, deal, stages["赢单"])
    assert Customer.objects.get(pk=deal.customer_id).status == Customer.Status.CUSTOMER


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "amount": "-5"}, "amount"),
        ({"title": "x", "probability": 130}, "probability"),
    ],
)
def test_bad_deals_are_refused_naming_the_field(people, stages, data, field):
    customer = people.customer(people.rep, "宁波海纳贸易有限公司")
    with pytest.raises(ValidationError) as err:
        services.create_deal(people.rep, customer, data)
    assert field in err.value.message_dict
    assert not Deal.objects.exists()


def test_a_rep_cannot_touch_another_reps_deal(people, deal, stages, login):
    with pytest.raises(Http404):
        services.move_stage(people.rep2, deal, stages["报价"])
    assert login(people.rep2).get(f"/deals/{deal.pk}/").status_code == 404
    response = login(people.rep2).post(
        f"/deals/{deal.pk}/move/", {"stage": stages["报价"].pk}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 404
    assert not queries.deals(people.rep2, "team").exists()


def test_the_board_shows_own_deals_and_for_a_manager_the_team(people, deal, stages, login):
    other = people.customer(people.rep2, "北京星辰网络科技有限公司")
    services.create_deal(people.rep2, other, {"title": "北京的商机"})
    rep_board = login(people.rep).get("/deals/board/?scope=team").context["columns"]
    assert [d.title for c in rep_board for d in c["cards"]] == ["ERP 升级"]
    manager = login(people.manager).get("/deals/board/?scope=team").context["columns"]
    assert [d.title for c in manager for d in c["cards"]] == ["ERP 升级"]  # 华东 only
    first = manager[0]
    assert first["count"] == 1 and first["amount"] == 120000


def test_dropping_on_the_board_moves_the_deal_or_explains(people, deal, stages, login):
    client = login(people.rep)
    ok = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stages["需求分析"].pk}, HTTP_ACCEPT="application/json"
    )
    assert ok.status_code == 200 and ok.json()["probability"] == 20
    refused = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stages["输单"].pk}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 422 and refused.json()["error"]


def test_a_card_someone_moved_since_the_board_opened_is_refused_not_moved(
    people, deal, stages, login
):
    rep, manager = login(people.rep), login(people.manager)
    seen = stages["初步接触"].pk  # both boards show the deal here
    moved = manager.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stages["报价"].pk, "from": seen},
        HTTP_ACCEPT="application/json",
    )
    assert moved.status_code == 200
    stale = rep.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stages["需求分析"].pk, "from": seen},
        HTTP_ACCEPT="application/json",
    )
    assert stale.status_code == 409 and "报价" in stale.json()["error"]
    deal.refresh_from_db()
    assert deal.stage == stages["报价"]
    assert StageChange.objects.filter(deal=deal).count() == 2  # created, then the manager's
    # the same stale move from the deal page's buttons: a message, nothing moved
    page = rep.post(
        f"/deals/{deal.pk}/move/", {"stage": stages["需求分析"].pk, "from": seen}, follow=True
    )
    assert "报价" in page.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["报价"]


def test_deal_pages_create_and_edit(people, stages, login):
    customer = people.customer(people.rep, "宁波海纳贸易有限公司")
    client = login(people.rep)
    response = client.post(
        f"/deals/new/{customer.pk}/",
        {"title": "仓储系统", "amount": "50000", "stage": stages["需求分析"].pk},
    )
    deal = Deal.objects.get()
    assert response["Location"] == f"/deals/{deal.pk}/"
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "仓储系统" in page
    client.post(
        f"/deals/{deal.pk}/",
        {"title": "仓储系统二期", "amount": "80000", "version": deal.version},
    )
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("仓储系统二期", 80000)


def test_moves_keep_the_furthest_stage_and_each_stay(people, deal, stages):
    services.move_stage(people.rep, deal, stages["方案制定"])
    services.move_stage(people.rep, deal, stages["需求分析"])  # back a step
    services.move_stage(people.rep, deal, stages["输单"], lost_reason="预算取消")
    deal.refresh_from_db()
    assert deal.furthest == stages["方案制定"].position
    stays = list(StageChange.objects.filter(deal=deal).values_list("days", flat=True))
    assert all(d is not None and d >= 0 for d in stays[:-1]) and stays[-1] is None
    services.recompute_history([deal.pk])
    deal.refresh_from_db()
    assert deal.furthest == stages["方案制定"].position


def test_director_renames_reorders_and_adds_a_stage(people, stages, login):
    client = login(people.director)
    page = client.get("/deals/stages/")
    assert page.status_code == 200
    data = {"rows": str(len(stages) + 1)}
    for i, stage in enumerate(Stage.objects.all()):
        data |= {
            f"id_{i}": stage.pk,
            f"order_{i}": i * 10,
            f"name_{i}": "需求调研" if stage.name == "需求分析" else stage.name,
            f"kind_{i}": stage.kind,
            f"probability_{i}": stage.probability,
            f"color_{i}": stage.color,
            f"active_{i}": "on",
        }
    n = len(stages)
    data |= {
        f"order_{n}": 15,
        f"name_{n}": "样品测试",
        f"kind_{n}": "open",
        f"probability_{n}": 30,
        f"color_{n}": "info",
        f"active_{n}": "on",
    }
    assert client.post("/deals/stages/", data).status_code == 302
    names = list(Stage.objects.values_list("name", flat=True))
    assert names[:3] == ["初步接触", "需求调研", "样品测试"]


def test_stages_keep_one_won_and_one_lost(people, stages):
    from kehu.accounts.access import AccessDenied

    rows = [
        {"name": s.name, "kind": s.kind, "probability": s.probability, "id": s.pk}
        for s in Stage.objects.exclude(kind="won")
    ]
    with pytest.raises(ValidationError):
        services.save_stages(people.director, rows)
    with pytest.raises(AccessDenied):
        services.save_stages(people.manager, rows)


def test_an_interaction_can_name_its_deal(people, deal, login):
    from kehu.followups.models import Interaction

    client = login(people.rep)
    page = client.get(f"/customers/{deal.customer_id}/").content.decode()
    assert f'<option value="{deal.pk}">ERP 升级</option>' in page
    client.post(
        f"/followups/customers/{deal.customer_id}/log/",
        {"method": "meeting", "content": "方案讲解", "deal": deal.pk},
    )
    assert Interaction.objects.get().deal == deal
    other = people.customer(people.rep, "宁波海纳贸易有限公司")
    with pytest.raises(ValidationError):
        from kehu.followups import services as followups

        followups.log_interaction(people.rep, other, method="phone", content="x", deal=deal)


def test_a_stale_deal_form_is_refused_with_a_message(people, deal, login):
    from django.urls import reverse

    services.update_deal(people.rep, deal, {"title": "ERP 升级（二期）", "amount": "150000"})
    client = login(people.rep)
    response = client.post(
        reverse("pipeline:detail", args=[deal.pk]),
        {"title": "ERP", "amount": "1", "version": deal.version},
        follow=True,
    )
    assert response.status_code == 200
    told = [str(m) for m in response.context["messages"]]
    assert len(told) == 1 and "ERP 升级" not in told[0]  # the stale-form message
    deal.refresh_from_db()
    assert deal.title == "ERP 升级（二期）"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite serialises whole transactions"
)
def test_a_move_locks_only_the_deal_row_so_concurrent_moves_cannot_deadlock(people, deal, stages):
    """Locking the joined stage and customer rows too (FOR UPDATE with select_related) made two
    moves into the same stage deadlock on PostgreSQL under load (bench/load.py): each held a
    stage row the other's stage-history insert needed a key-share lock on."""
    with CaptureQueriesContext(connection) as queries:
        services.move_stage(people.rep, deal, stages["报价"])
    locks = [q["sql"] for q in queries if " FOR " in q["sql"] and "SELECT" in q["sql"]]
    assert locks and all('FOR NO KEY UPDATE OF "pipeline_deal"' in sql for sql in locks), locks
