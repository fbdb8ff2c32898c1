"""Policies, runs, proposals, review rounds and overrides through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.accounts import access
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.tiering import services
from kehu.tiering.models import TierChange, TierPolicy, TierProposal
from tests.tiering.conftest import BY_SCORE, CRITERIA


def test_only_a_director_sets_the_policy(people):
    with pytest.raises(access.AccessDenied):
        services.create_policy(people.manager, "默认客户分级", CRITERIA, BY_SCORE, "score")


def test_weights_that_do_not_add_up_are_refused(people):
    bad = [{**CRITERIA[0], "weight": 50}, *CRITERIA[1:]]
    with pytest.raises(ValidationError) as err:
        services.create_policy(people.director, "默认客户分级", bad, BY_SCORE, "score")
    assert "weights" in err.value.message_dict
    assert not TierPolicy.objects.exists()


def test_unknown_criterion_is_refused(people):
    bad = [{"metric": "astrology", "weight": 100}]
    with pytest.raises(ValidationError) as err:
        services.create_policy(people.director, "默认客户分级", bad, BY_SCORE, "score")
    assert "astrology" in err.value.message_dict


def test_versions_are_numbered_and_one_is_published(people, policy):
    v2 = services.create_policy(people.director, "默认客户分级", CRITERIA, BY_SCORE, "score")
    assert v2.version == 2 and v2.status == "draft"
    services.publish_policy(people.director, v2)
    policy.refresh_from_db()
    assert policy.status == "archived"
    assert TierPolicy.objects.get(status="published") == v2


def test_a_run_proposes_only_the_changes_and_changes_no_customer(people, book, policy):
    big, mid, small = book
    run = services.run_tiering(people.director, policy)
    assert run.status == "done" and run.customers == 3
    proposed = {p.customer_id: (p.from_tier, p.to_tier) for p in run.proposal_set.all()}
    assert proposed == {big.pk: ("C", "A")}  # mid stays B, small stays C
    assert run.distribution == {"A": 1, "B": 1, "C": 1}
    assert Customer.objects.get(pk=big.pk).tier == "C"


def test_review_rounds_then_the_change_takes_effect_on_its_date(people, book, policy):
    big = book[0]
    services.run_tiering(people.director, policy)
    proposal = TierProposal.objects.get(customer=big)
    with pytest.raises(access.AccessDenied):
        services.review(people.rep, proposal, "approve")
    proposal = services.review(people.manager, proposal, "approve")
    assert proposal.round == 2 and proposal.status == "pending"
    with pytest.raises(access.AccessDenied):
        services.review(people.manager, proposal, "approve")  # round 2 is the director's
    tomorrow = timezone.localdate() + timedelta(days=1)
    proposal = services.review(people.director, proposal, "approve", effective_on=tomorrow)
    assert proposal.status == "approved"
    assert services.apply_due() == 0  # not yet
    assert services.apply_due(today=tomorrow) == 1
    big.refresh_from_db()
    assert big.tier == "A"
    change = TierChange.objects.get(customer=big)
    assert (change.from_tier, change.to_tier, change.policy) == ("C", "A", policy)
    assert AuditEvent.objects.filter(customer=big, changes__0__field="tier").exists()


def test_a_reviewer_can_adjust_and_a_dispute_keeps_its_thread(people, book, policy):
    services.run_tiering(people.director, policy)
    proposal = TierProposal.objects.get(customer=book[0])
    services.review(people.manager, proposal, "comment", comment="客户预算下调，建议 B")
    proposal = services.review(
        people.manager, proposal, "adjust", adjusted_tier="B", comment="先到 B"
    )
    assert proposal.to_tier == "B" and proposal.round == 2
    assert [r.decision for r in proposal.reviews.all()] == ["comment", "adjust"]
    with pytest.raises(ValidationError):
        services.review(people.director, proposal, "reject")  # a rejection needs a reason
    proposal = services.review(people.director, proposal, "reject", comment="维持 C")
    assert proposal.status == "rejected"


def test_a_rep_proposes_for_own_customer_but_never_sets_a_tier(people, book):
    big, _mid, small = book
    proposal = services.propose_change(people.rep, big, "B", "今年采购量翻倍")
    assert proposal.status == "pending" and Customer.objects.get(pk=big.pk).tier == "C"
    from django.http import Http404

    with pytest.raises(Http404):
        services.propose_change(people.rep, small, "B", "不是我的客户")
    with pytest.raises(access.AccessDenied):
        services.review(people.rep, proposal, "approve")


def test_an_override_survives_re_tiering_until_it_expires(people, book, policy):
    big = book[0]
    with pytest.raises(ValidationError) as err:
        services.set_override(
            people.manager, big, "B", "", timezone.localdate() + timedelta(days=90)
        )
    assert "reason" in err.value.message_dict
    services.set_override(
        people.manager, big, "B", "战略合作客户", timezone.localdate() + timedelta(days=90)
    )
    assert Customer.objects.get(pk=big.pk).tier == "B"
    run = services.run_tiering(people.director, policy)
    assert not run.proposal_set.filter(customer=big).exists()
    later = timezone.localdate() + timedelta(days=91)
    assert not services.active_overrides(later).filter(customer=big).exists()


def test_rep_cannot_override(people, book):
    with pytest.raises(access.AccessDenied):
        services.set_override(
            people.rep, book[0], "A", "我觉得是 A", timezone.localdate() + timedelta(days=30)
        )


def test_scores_follow_the_explanation(people, book, policy):
    ids, score, tiers, raw, normalised, floors = services.evaluate(policy)
    row = list(ids).index(book[0].pk)
    assert score[row] == Decimal("100.00")  # the biggest on every criterion
    assert tiers[row] == "A" and floors["A"] == 70


def test_a_rep_cannot_set_a_tier_through_the_customer_service(people, book):
    from kehu.customers import services as customer_services

    with pytest.raises(ValidationError) as err:
        customer_services.update_customer(people.rep, book[0], {"tier": "A"})
    assert "tier" in err.value.message_dict
    assert Customer.objects.get(pk=book[0].pk).tier == "C"


def test_metrics_read_dates_and_amounts_in_one_query(people, django_assert_num_queries):
    from kehu.tiering import metrics

    now = timezone.now()
    c = people.customer(people.rep, "杭州云帆科技有限公司", cooperation_amount="1234.50")
    Customer.objects.filter(pk=c.pk).update(
        last_contact_at=now - timedelta(days=10), created_at=now - timedelta(days=730)
    )
    people.customer(people.rep, "宁波海纳贸易有限公司")  # never contacted
    with django_assert_num_queries(1):
        cols = metrics.read_columns(now=now)
    raw = metrics.raw_values(
        cols, ["purchase_amount", "recency_days", "loyalty_years", "satisfaction"]
    )
    assert raw["purchase_amount"][0] == 1234.5
    assert round(raw["recency_days"][0]) == 10
    assert round(raw["loyalty_years"][0], 1) == 2.0
    assert str(raw["recency_days"][1]) == "nan" and str(raw["satisfaction"][0]) == "nan"
    only_first = metrics.read_columns(Customer.objects.filter(pk=c.pk), now=now)
    assert list(only_first.ids) == [c.pk]


def test_default_policy_is_valid_and_retier_command_proposes_once(people, book):
    from io import StringIO

    from django.core.management import call_command

    from kehu.tiering.defaults import ensure_default_policy

    policy = ensure_default_policy(people.director)
    assert policy.status == "published" and ensure_default_policy(people.director) == policy
    out = StringIO()
    call_command("retier", stdout=out)
    assert "3 customers scored" in out.getvalue()
    first = TierProposal.objects.count()
    call_command("retier", stdout=StringIO())  # pending proposals are not proposed twice
    assert TierProposal.objects.count() == first
