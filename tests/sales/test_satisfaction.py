"""Satisfaction answers: CSAT 1–5 and NPS 0–10, the latest CSAT as the customer's satisfaction,
and NPS (% promoters − % detractors) by scope, team and tier."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.customers.models import Contact
from kehu.sales import lifecycle, queries, services
from kehu.sales.lifecycle import Scope
from kehu.sales.models import SurveyAnswer


@pytest.fixture
def customer(people):
    return people.customer(people.rep, "杭州云帆科技有限公司")


def answer(actor, customer, kind, score, day=None, **data):
    return services.record_answer(
        actor,
        customer,
        {"kind": kind, "score": score, "answered_on": day or timezone.localdate(), **data},
    )


@pytest.mark.parametrize(("kind", "score"), [("csat", 1), ("csat", 5), ("nps", 0), ("nps", 10)])
def test_scores_at_the_ends_of_each_scale_are_accepted(people, customer, kind, score):
    assert answer(people.rep, customer, kind, score).score == score


@pytest.mark.parametrize(
    ("kind", "score", "field"),
    [
        ("csat", 0, "score"),
        ("csat", 6, "score"),
        ("nps", 11, "score"),
        ("nps", -1, "score"),
        ("csat", "很好", "score"),
        ("csat", None, "score"),
        ("ces", 3, "kind"),
    ],
)
def test_a_score_off_the_scale_is_refused(people, customer, kind, score, field):
    with pytest.raises(ValidationError) as err:
        answer(people.rep, customer, kind, score)
    assert field in err.value.message_dict
    assert not SurveyAnswer.objects.exists()
    customer.refresh_from_db()
    assert customer.satisfaction is None


def test_an_answer_cannot_be_dated_in_the_future(people, customer):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        answer(people.rep, customer, "csat", 4, tomorrow)
    assert "answered_on" in err.value.message_dict


def test_the_contact_must_be_the_customers_own(people, customer):
    other = people.customer(people.rep, "杭州小蚂蚁文具店")
    stranger = Contact.objects.create(customer=other, name="王芳")
    with pytest.raises(ValidationError) as err:
        answer(people.rep, customer, "nps", 9, contact=stranger)
    assert "contact" in err.value.message_dict
    own = Contact.objects.create(customer=customer, name="李娜")
    assert answer(people.rep, customer, "nps", 9, contact=own).contact == own


def test_the_latest_csat_becomes_the_customers_satisfaction(people, customer):
    today = timezone.localdate()
    answer(people.rep, customer, "csat", 4, today - timedelta(days=10))
    customer.refresh_from_db()
    assert customer.satisfaction == 4
    answer(people.rep, customer, "csat", 2, today)
    customer.refresh_from_db()
    assert customer.satisfaction == 2
    # an older answer entered late does not replace the latest, nor does an NPS answer
    answer(people.rep, customer, "csat", 5, today - timedelta(days=30))
    answer(people.rep, customer, "nps", 10, today)
    customer.refresh_from_db()
    assert customer.satisfaction == 2


def test_rep_cannot_record_an_answer_for_another_reps_customer(people):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    with pytest.raises(Http404):
        answer(people.rep, theirs, "csat", 5)
    assert not SurveyAnswer.objects.exists()


def test_nps_is_the_share_of_promoters_less_the_share_of_detractors(people, customer):
    day = date(2024, 6, 1)
    # promoters 10, 9, 9, 10, 9; passives 8, 7; detractors 6, 0, 3: (5 − 3) / 10 = 20
    for score in (10, 9, 9, 10, 9, 8, 7, 6, 0, 3):
        answer(people.rep, customer, "nps", score, day)
    sat = lifecycle.satisfaction(Scope(), date(2024, 6, 1), date(2024, 6, 30))
    assert (sat["nps"], sat["promoters"], sat["detractors"], sat["nps_answers"]) == (
        20.0,
        5,
        3,
        10,
    )
    assert sat["csat"] is None and sat["csat_answers"] == 0
    [(_team, csat, csat_n, nps, nps_n)] = queries.satisfaction_breakdown(
        people.rep, date(2024, 6, 1), date(2024, 6, 30), "team"
    )
    assert (csat, csat_n, nps, nps_n) == (None, 0, 20.0, 10)


def test_satisfaction_by_team(people, history):
    rows = queries.satisfaction_breakdown(
        people.director, date(2024, 1, 1), date(2024, 12, 31), "team"
    )
    # (average CSAT, CSAT answers, NPS, NPS answers); B's CSAT 1 is from 2023
    assert {name: rest for name, *rest in rows} == {
        "杭州组": [4.0, 1, 100.0, 1],  # A: CSAT 4, NPS 10
        "上海组": [2.0, 1, -100.0, 1],  # C: CSAT 2, NPS 3
        "华东大区": [None, 0, 100.0, 1],  # F: NPS 9
        "北京组": [5.0, 1, 50.0, 2],  # E: CSAT 5, NPS 9; D: NPS 8
    }


def test_satisfaction_by_tier(people, history):
    rows = queries.satisfaction_breakdown(
        people.director, date(2024, 1, 1), date(2024, 12, 31), "tier"
    )
    assert {name: rest for name, *rest in rows} == {
        "A": [3.0, 2, 0.0, 2],  # A and C: CSAT 4, 2; NPS 10, 3
        "B": [5.0, 1, 50.0, 2],  # D and E
        "—": [None, 0, 100.0, 1],  # F, not tiered
    }


def test_the_breakdown_covers_only_what_the_actor_sees(people, history):
    rows = queries.satisfaction_breakdown(
        people.manager, date(2024, 1, 1), date(2024, 12, 31), "team"
    )
    assert {name for name, *_rest in rows} == {"杭州组", "上海组", "华东大区"}
    rows = queries.satisfaction_breakdown(people.rep, date(2024, 1, 1), date(2024, 12, 31), "tier")
    assert {name: rest for name, *rest in rows} == {"A": [4.0, 1, 100.0, 1]}
