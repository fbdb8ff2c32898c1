"""Feedback and complaints: the owner is told, resolving needs a resolution and stamps the time
to resolve, reopening clears it, stale forms are refused; my open complaints; trends."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.followups.models import Notification
from kehu.sales import queries, services
from kehu.sales.models import Feedback

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def customer(people):
    return people.customer(people.rep, "杭州云帆科技有限公司")


def open_(actor, customer, **data):
    return services.open_feedback(
        actor, customer, {"summary": "包装破损", "category": "quality", **data}
    )


def test_a_complaint_opened_by_someone_else_notifies_the_owner(people, customer):
    item = open_(people.manager, customer, severity=Feedback.Severity.HIGH)
    assert (item.owner, item.status, item.kind, item.created_by) == (
        people.rep,
        Feedback.Status.OPEN,
        Feedback.Kind.COMPLAINT,
        people.manager,
    )
    note = Notification.objects.get()
    assert (note.user, note.customer_id) == (people.rep, customer.pk)
    assert "包装破损" in note.text and customer.name in note.text
    assert note.url.endswith(f"/{item.pk}/")


def test_no_one_is_told_of_their_own_complaint_or_of_praise(people, customer):
    open_(people.rep, customer)  # the owner opened it
    open_(people.manager, customer, kind="praise", summary="服务周到")
    assert not Notification.objects.exists()


def test_a_complaint_given_to_a_colleague_notifies_that_colleague(people, customer):
    open_(people.director, customer, owner=people.manager)
    assert Notification.objects.get().user == people.manager


def test_a_complaint_cannot_go_to_someone_who_cannot_see_the_customer(people, customer):
    # 陈静 (rep3) is in the manager's team but not on this customer: told, she could not open it
    with pytest.raises(ValidationError) as err:
        open_(people.manager, customer, owner=people.rep3)
    assert "owner" in err.value.message_dict
    assert not Feedback.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"summary": " "}, "summary"),
        ({"category": "weather"}, "category"),
        ({"kind": "rumour"}, "kind"),
        ({"severity": 9}, "severity"),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(people, customer, data, field):
    with pytest.raises(ValidationError) as err:
        open_(people.rep, customer, **data)
    assert field in err.value.message_dict
    assert not Feedback.objects.exists() and not Notification.objects.exists()


def test_rep_cannot_open_or_move_complaints_of_another_reps_customer(people, customer):
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    with pytest.raises(Http404):
        open_(people.rep, theirs)
    item = open_(people.rep2, theirs)
    with pytest.raises(Http404):
        services.update_feedback(people.rep, item, {"status": "in_progress"}, item.version)
    with pytest.raises(ValidationError) as err:  # nor hand one of theirs to a colleague
        open_(people.rep, customer, owner=people.rep2)
    assert "owner" in err.value.message_dict


def test_resolving_needs_a_resolution_and_stamps_the_time_to_resolve(people, customer):
    opened = timezone.now() - timedelta(days=2, hours=12)
    item = open_(people.rep, customer, opened_at=opened)
    with pytest.raises(ValidationError) as err:
        services.update_feedback(people.rep, item, {"status": "resolved"}, item.version)
    assert "resolution" in err.value.message_dict
    item.refresh_from_db()
    assert (item.status, item.resolved_at, item.version) == (Feedback.Status.OPEN, None, 1)

    item = services.update_feedback(
        people.rep, item, {"status": "resolved", "resolution": "已补发新货"}, item.version
    )
    item.refresh_from_db()
    assert item.status == Feedback.Status.RESOLVED and item.resolution == "已补发新货"
    assert item.resolved_at is not None and not item.is_open
    assert item.days_to_resolve == 2.5
    # closing it later keeps the time it was resolved
    resolved_at = item.resolved_at
    item = services.update_feedback(people.rep, item, {"status": "closed"}, item.version)
    assert item.resolved_at == resolved_at


def test_closing_needs_a_resolution_too(people, customer):
    item = open_(people.rep, customer)
    with pytest.raises(ValidationError) as err:
        services.update_feedback(people.rep, item, {"status": "closed"}, item.version)
    assert "resolution" in err.value.message_dict


def test_reopening_clears_the_time_resolved(people, customer):
    item = open_(people.rep, customer)
    item = services.update_feedback(
        people.rep, item, {"status": "resolved", "resolution": "已退款"}, item.version
    )
    item = services.update_feedback(people.rep, item, {"status": "open"}, item.version)
    item.refresh_from_db()
    assert (item.status, item.resolved_at, item.days_to_resolve) == (
        Feedback.Status.OPEN,
        None,
        None,
    )
    assert item.is_open


def test_a_stale_complaint_form_is_refused(people, customer):
    item = open_(people.rep, customer)
    seen = item.version
    services.update_feedback(people.rep, item, {"status": "in_progress"}, seen)
    with pytest.raises(ValidationError):
        services.update_feedback(people.rep, item, {"status": "resolved", "resolution": "x"}, seen)
    item.refresh_from_db()
    assert (item.status, item.version) == (Feedback.Status.IN_PROGRESS, seen + 1)


def test_my_open_complaints_are_the_ones_i_own_worst_first(people, customer):
    now = timezone.now()
    medium_old = open_(people.rep, customer, opened_at=now - timedelta(days=3))
    critical = open_(people.rep, customer, severity=Feedback.Severity.CRITICAL)
    medium_new = open_(people.rep, customer, opened_at=now - timedelta(days=1))
    busy = open_(people.rep, customer, severity=Feedback.Severity.LOW)
    services.update_feedback(people.rep, busy, {"status": "in_progress"}, busy.version)
    done = open_(people.rep, customer, severity=Feedback.Severity.CRITICAL)
    services.update_feedback(
        people.rep, done, {"status": "resolved", "resolution": "已处理"}, done.version
    )
    open_(people.rep, customer, kind="feedback", summary="希望增加功能")
    open_(people.rep, customer, owner=people.rep, kind="praise", summary="很满意")
    from_manager = open_(people.manager, customer, opened_at=now - timedelta(days=2))
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    open_(people.rep2, theirs, severity=Feedback.Severity.CRITICAL)

    assert list(queries.open_complaints_of(people.rep)) == [
        critical,
        medium_old,
        from_manager,
        medium_new,
        busy,
    ]
    assert list(queries.open_complaints_of(people.manager)) == []


def _at(day: date, hour=10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_trends_count_feedback_by_month_and_category(people, customer):
    today = date(2024, 6, 30)
    open_(people.rep, customer, opened_at=_at(date(2024, 3, 10)))
    open_(people.rep, customer, opened_at=_at(date(2024, 3, 31), hour=23))  # still March here
    late = open_(people.rep, customer, category="delivery", opened_at=_at(date(2024, 3, 20)))
    services.update_feedback(
        people.rep, late, {"status": "resolved", "resolution": "已重发"}, late.version
    )
    open_(people.rep, customer, category="delivery", kind="praise", opened_at=_at(date(2024, 5, 5)))
    open_(people.rep, customer, category="price", opened_at=_at(date(2023, 6, 30)))  # too old
    theirs = people.customer(people.rep2, "北京星辰网络科技有限公司")
    open_(people.rep2, theirs, category="billing", opened_at=_at(date(2024, 4, 1)))

    trends = queries.feedback_trends(people.rep, months=12, today=today)
    assert trends["months"] == ["2024-03", "2024-05"]
    assert trends["counts"] == {
        "2024-03": {"quality": 2, "delivery": 1},
        "2024-05": {"delivery": 1},
    }
    assert trends["by_category"] == {"quality": 2, "delivery": 2}
    assert trends["open"] == 3
    late.refresh_from_db()
    assert trends["days_to_resolve"] == {"delivery": late.days_to_resolve}

    everyone = queries.feedback_trends(people.director, months=12, today=today)
    assert everyone["counts"]["2024-04"] == {"billing": 1}
    assert everyone["open"] == 4
