"""The tier panel on the customer page, proposing from it, and the review queue."""

import pytest

from kehu.tiering import queries, services
from kehu.tiering.models import TierProposal


@pytest.fixture
def ran(people, book, policy):
    services.run_tiering(people.director, policy)
    return book[0]


def test_the_customer_page_explains_the_tier(people, ran, login):
    body = login(people.rep).get(f"/customers/{ran.pk}/").content.decode()
    assert "分级说明" in body and "采购金额：订单加上使用客户系统前的历史合作金额（元）" in body
    explanation = queries.explain_customer(people.rep, ran)
    assert explanation.score == 100.0
    assert [r["contribution"] for r in explanation.rows] == [60.0, 30.0, 10.0]
    assert explanation.tier == "C" and explanation.next_tier == "B"


def test_explanation_of_a_middle_customer_adds_up(people, ran):
    from kehu.customers.models import Customer

    mid = Customer.objects.get(name="宁波海纳贸易有限公司")
    e = queries.explain_customer(people.rep, mid)
    assert e.score == round(sum(r["contribution"] for r in e.rows), 2)
    assert e.tier == "B" and (e.next_tier, e.gap) == ("A", round(70 - e.score, 2))


def test_a_rep_proposes_from_the_customer_page(people, ran, login):
    from kehu.customers.models import Customer

    mid = Customer.objects.get(name="宁波海纳贸易有限公司")
    client = login(people.rep)
    client.post(
        f"/tiering/customers/{mid.pk}/propose/", {"to_tier": "A", "reason": "新签年度框架协议"}
    )
    p = TierProposal.objects.get(customer=mid)
    assert (p.to_tier, p.proposed_by, p.status) == ("A", people.rep, "pending")
    assert (
        client.post(
            f"/tiering/customers/{mid.pk}/propose/", {"to_tier": "A", "reason": ""}
        ).status_code
        == 302
    )
    assert TierProposal.objects.filter(customer=mid).count() == 1  # the empty reason was refused


def test_review_queue_is_for_managers_and_directors_only(people, ran, login):
    assert login(people.rep).get("/tiering/reviews/").status_code == 404
    assert "杭州云帆科技有限公司" in login(people.manager).get("/tiering/reviews/").content.decode()
    assert (
        "杭州云帆科技有限公司" in login(people.director).get("/tiering/reviews/").content.decode()
    )


def test_a_manager_never_sees_proposals_outside_the_team(people, ran, login):
    from kehu.customers.models import Customer

    beijing = Customer.objects.get(name="北京星辰网络科技有限公司")
    TierProposal.objects.create(customer=beijing, from_tier="C", to_tier="B", reason="x")
    body = login(people.manager).get("/tiering/reviews/").content.decode()
    assert "北京星辰网络科技有限公司" not in body


def test_deciding_both_rounds_from_the_queue(people, ran, login):
    p = TierProposal.objects.get(customer=ran)
    login(people.manager).post(f"/tiering/reviews/{p.pk}/", {"decision": "approve"})
    p.refresh_from_db()
    assert p.round == 2
    login(people.director).post(f"/tiering/reviews/{p.pk}/", {"decision": "approve"})
    p.refresh_from_db()
    assert p.status == "approved"
    assert services.apply_due() == 1
    ran.refresh_from_db()
    assert ran.tier == "A"


def test_override_from_the_customer_page_and_the_history(people, ran, login):
    from datetime import timedelta

    from django.utils import timezone

    from kehu.tiering.models import TierChange

    until = (timezone.localdate() + timedelta(days=60)).isoformat()
    login(people.rep).post(
        f"/tiering/customers/{ran.pk}/override/", {"tier": "A", "reason": "x", "expires_on": until}
    )
    assert not TierChange.objects.exists()  # a rep cannot
    client = login(people.manager)
    client.post(
        f"/tiering/customers/{ran.pk}/override/",
        {"tier": "A", "reason": "战略客户", "expires_on": until},
    )
    ran.refresh_from_db()
    assert ran.tier == "A"
    page = client.get(f"/customers/{ran.pk}/").content.decode()
    assert "人工指定" in page
    history = client.get("/tiering/history/")
    assert history.context["transitions"]["matrix"]["C"]["A"] == 1


def test_transitions_count_only_visible_customers(people, ran):
    from kehu.tiering.models import TierChange

    other = people.customer(people.rep2, "北京星辰网络科技有限公司二部")
    TierChange.objects.create(customer=other, from_tier="C", to_tier="B", source="review")
    assert queries.transitions(people.rep)["total"] == 0
    assert queries.transitions(people.director)["total"] == 1
