"""The period review: a rep's quarter beside their team's average per person (杭州组: 张伟 and
孙丽, see conftest), for the rep, their manager and directors; a guessed colleague is a 404."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.followups.models import Interaction
from kehu.incentives import queries

from .conftest import set_target, win

D = Decimal


def figures(rows) -> dict:
    return {f.key: (f.mine, f.team) for f in rows}


def test_rep_beside_team_average(people, quarter, activity):
    review = queries.review(people.rep, people.rep, "quarter", quarter)
    assert review.headcount == 2
    [won] = review.attainment
    assert (won["target"], won["actual"], won["percent"]) == (D("100000"), D("90000"), D("90.0"))
    # per person: targets (100,000 + 50,000) / 2, won (90,000 + 20,000) / 2; team 110 / 150
    assert (won["team_target"], won["team_actual"], won["team_percent"]) == (
        D("75000.00"),
        D("55000.00"),
        D("73.3"),
    )
    assert figures(review.methods) == {
        "phone": (D(2), D("1.50")),
        "wechat": (D(0), D("1.50")),
        "visit": (D(1), D("0.50")),
        "total": (D(3), D("3.50")),
    }
    deals = figures(review.deals)
    assert deals["created"] == (D(3), D("2.50"))
    assert deals["won"] == (D(1), D("1.50"))
    assert deals["won_amount"] == (D("90000"), D("55000.00"))
    assert deals["lost"] == (D(1), D("0.50"))
    assert deals["conversion"] == (D("50.0"), D("75.0"))  # 1 of 2; team 3 of 4
    assert (review.overdue.mine, review.overdue.team) == (D(2), D("1.00"))


def test_no_target_no_attainment_line(people, quarter, activity):
    review = queries.review(people.director, people.rep2, "quarter", quarter)
    assert [a["metric"] for a in review.attainment] == ["won_amount"]
    review = queries.review(people.director, people.manager, "quarter", quarter)
    assert review.attainment == []


@pytest.mark.parametrize("who", ["rep", "manager", "director"])
def test_rep_manager_and_director_open_the_review(people, quarter, activity, login, who):
    response = login(getattr(people, who)).get(
        reverse("incentives:review"), {"user": people.rep.pk}
    )
    assert response.status_code == 200
    assert response.context["review"].user == people.rep


@pytest.mark.parametrize(("who", "whom"), [("rep2", "rep"), ("rep", "rep3"), ("manager", "rep2")])
def test_guessed_reviews_are_404(people, activity, login, who, whom):
    response = login(getattr(people, who)).get(
        reverse("incentives:review"), {"user": getattr(people, whom).pk}
    )
    assert response.status_code == 404


def test_review_defaults_to_myself(people, activity, login):
    response = login(people.rep).get(reverse("incentives:review"))
    assert response.context["review"].user == people.rep
    assert 'data-testid="overdue"' in response.content.decode()


def test_review_query_count_does_not_grow_with_the_team(
    people, quarter, activity, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        queries.review(people.manager, people.rep, "quarter", quarter)
    customer = people.customer(people.rep, "杭州新客户")
    for n in range(6):
        rep = account_services.create_user(
            f"hz{n}", "x", name=f"杭州{n}", role=User.Role.REP, team=people.hangzhou
        )
        set_target(rep, "10000", quarter)
        win(rep, "5000", people=people)
        Interaction.objects.create(customer=customer, user=rep, method="phone", content="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        review = queries.review(people.manager, people.rep, "quarter", quarter)
    assert review.headcount == 8
