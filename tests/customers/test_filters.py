"""Filtering the customer list like the sheet: tier, status, owner, team, tag, industry,
channel, last follow-up range, never contacted, overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.customers import services
from kehu.customers.models import Customer, Industry
from tests.conftest import names_on


@pytest.fixture
def shown(people, login):
    """shown(user, **params) → the set of names on that user's list page."""

    def shown(user, **params):
        return set(names_on(login(user).get("/customers/", {**params, "size": 200})))

    return shown


@pytest.fixture
def sheet(people):
    now = timezone.now()
    factory = Industry.objects.create(name="制造业")
    rows = {
        # name: (owner, tier, status, extra fields)
        "杭州云帆科技": (people.rep, "A", "customer", {"channel": people.channel}),
        "杭州海纳贸易": (people.rep, "B", "lead", {"last_contact_at": now - timedelta(days=3)}),
        "杭州精工机械": (people.rep, "C", "prospect", {"industry": factory}),
        "上海博远电子": (
            people.rep3,
            "A",
            "prospect",
            {
                "last_contact_at": now - timedelta(days=40),
                "next_followup_at": now - timedelta(days=1),
            },
        ),
        "上海蓝海物流": (people.rep3, "", "churned", {"next_followup_at": now + timedelta(days=2)}),
        "宁波金桥制造": (people.manager, "B", "customer", {}),
        "北京星辰网络": (people.rep2, "A", "customer", {"channel": people.channel}),
    }
    made = {}
    for name, (owner, tier, status, extra) in rows.items():
        made[name] = people.customer(owner, name, tier=tier or None, status=status, **extra)
    services.set_tags(people.rep, made["杭州云帆科技"], [people.urgent, people.price])
    services.set_tags(people.rep3, made["上海博远电子"], [people.urgent])
    services.set_tags(people.rep2, made["北京星辰网络"], [people.urgent])
    return made


EAST = {
    "杭州云帆科技",
    "杭州海纳贸易",
    "杭州精工机械",
    "上海博远电子",
    "上海蓝海物流",
    "宁波金桥制造",
}


def test_without_filters_each_sees_their_own(people, sheet, shown):
    assert shown(people.manager) == EAST
    assert shown(people.director) == EAST | {"北京星辰网络"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": ["A"]}, {"杭州云帆科技", "上海博远电子"}),
        ({"tier": ["A", "B"]}, {"杭州云帆科技", "上海博远电子", "杭州海纳贸易", "宁波金桥制造"}),
        ({"status": ["customer"]}, {"杭州云帆科技", "宁波金桥制造"}),
        ({"status": ["lead", "churned"]}, {"杭州海纳贸易", "上海蓝海物流"}),
        ({"tier": ["A"], "status": ["prospect"]}, {"上海博远电子"}),
        ({"tier": ["C"], "status": ["customer"]}, set()),
    ],
)
def test_tier_and_status_filters(people, sheet, shown, params, expected):
    assert shown(people.manager, **params) == expected


def test_owner_filter(people, sheet, shown):
    assert shown(people.manager, owner=people.rep3.pk) == {"上海博远电子", "上海蓝海物流"}
    assert shown(people.director, owner=people.rep2.pk) == {"北京星辰网络"}


def test_team_filter_takes_the_whole_subtree(people, sheet, shown):
    assert shown(people.director, team=people.east.pk) == EAST
    assert shown(people.director, team=people.north.pk) == {"北京星辰网络"}
    assert shown(people.director, team=people.shanghai.pk) == {"上海博远电子", "上海蓝海物流"}
    assert shown(people.manager, team=people.hangzhou.pk) == {
        "杭州云帆科技",
        "杭州海纳贸易",
        "杭州精工机械",
    }


def test_tag_industry_and_channel_filters(people, sheet, shown):
    assert shown(people.manager, tag=people.urgent.pk) == {"杭州云帆科技", "上海博远电子"}
    assert shown(people.manager, tag=people.price.pk) == {"杭州云帆科技"}
    factory = Industry.objects.get(name="制造业")
    assert shown(people.manager, industry=factory.pk) == {"杭州精工机械"}
    assert shown(people.director, channel=people.channel.pk) == {"杭州云帆科技", "北京星辰网络"}


def test_last_contact_range_never_contacted_and_overdue(people, sheet, shown):
    now = timezone.now()
    week_ago = (now - timedelta(days=7)).date().isoformat()
    month_ago = (now - timedelta(days=30)).date().isoformat()
    assert shown(people.manager, contact_from=week_ago) == {"杭州海纳贸易"}
    assert shown(people.manager, contact_to=month_ago) == {"上海博远电子"}
    assert shown(people.manager, contact_from=month_ago, contact_to=week_ago) == set()
    assert shown(people.manager, never_contacted="on") == EAST - {"杭州海纳贸易", "上海博远电子"}
    assert shown(people.manager, overdue="on") == {"上海博远电子"}


def test_filters_combine(people, sheet, shown):
    assert shown(people.director, tier=["A"], tag=people.urgent.pk, team=people.east.pk) == {
        "杭州云帆科技",
        "上海博远电子",
    }
    assert shown(people.director, tier=["A"], channel=people.channel.pk, q="xingchen") == {
        "北京星辰网络"
    }


def test_a_rep_cannot_filter_by_another_reps_owner_id_or_team(people, sheet, shown):
    mine = {"杭州云帆科技", "杭州海纳贸易", "杭州精工机械"}
    # an invalid choice is dropped, never widening what the rep sees
    assert shown(people.rep, owner=people.rep2.pk) == mine
    assert shown(people.rep, team=people.north.pk) == mine


def test_a_manager_cannot_filter_outside_their_subtree(people, sheet, shown):
    assert "北京星辰网络" not in shown(people.manager, owner=people.rep2.pk)
    assert "北京星辰网络" not in shown(people.manager, team=people.beijing.pk)


def test_the_filter_form_offers_only_people_and_teams_in_reach(people, login):
    form = login(people.manager).get("/customers/").context["form"]
    owners = set(form.fields["owner"].queryset.values_list("username", flat=True))
    teams = set(form.fields["team"].queryset.values_list("name", flat=True))
    assert owners == {"manager", "rep", "rep3"}
    assert teams == {"华东大区", "杭州组", "上海组"}


def test_a_filter_naming_a_deleted_tag_is_ignored(people, sheet, shown):
    gone = people.price.pk
    people.price.delete()
    assert shown(people.manager, tag=gone) == EAST
    assert Customer.objects.count() == len(sheet)
