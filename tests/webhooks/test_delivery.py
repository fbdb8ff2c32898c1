"""Deliveries: signed, sent after commit, retried with backoff, never in the way of the request."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend

from kehu.core import schedule
from kehu.customers import services as customer_services
from kehu.followups.models import Notification
from kehu.webhooks import events, sender
from kehu.webhooks.models import Delivery, Endpoint

NEW = {"kind": "company", "status": "lead"}


def _due_now():
    """Time passes: every waiting retry is due."""
    Delivery.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_subscribed_event_arrives_signed_after_commit(
    people, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe("customer.created")
    with django_capture_on_commit_callbacks(execute=True):
        customer = people.customer(people.rep, "杭州云帆科技有限公司", tier="")
        assert receiver.requests == []  # nothing before the commit
        assert Delivery.objects.get().status == "pending"
    [got] = receiver.requests
    assert got.valid, "the signature checks out with the endpoint's secret"
    assert got.path == "/hooks/kehu"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Kehu-Event"] == "customer.created"
    body = got.json
    assert got.headers["X-Kehu-Delivery"] == body["id"]
    assert body["event"] == "customer.created"
    assert body["data"] == {
        "customer_id": customer.pk,
        "name": "杭州云帆科技有限公司",
        "tier": "",
        "status": "lead",
        "owner_id": people.rep.pk,
        "team_id": people.hangzhou.pk,
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 200)
    assert delivery.response_body == '{"ok": true}' and delivery.delivered_at
    assert str(delivery.event_id) == body["id"] and delivery.next_attempt_at is None


def test_a_wrong_secret_does_not_verify(people, receiver, subscribe, capture):
    subscribe("customer.created")
    receiver.secret = "whsec_not-the-one"
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    assert [r.valid for r in receiver.requests] == [False]


def test_nothing_is_sent_for_a_rolled_back_write(people, receiver, subscribe, capture):
    subscribe("customer.created")
    with capture(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        people.customer(people.rep, "杭州云帆科技有限公司")
        raise RuntimeError("something later in the same transaction failed")
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_unsubscribed_and_inactive_endpoints_get_nothing(people, receiver, subscribe, capture):
    subscribe("tier.changed")
    off = subscribe("customer.created")
    Endpoint.objects.filter(pk=off.pk).update(active=False)
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_failing_receiver_is_retried_with_backoff_and_never_blocks_the_request(
    people, receiver, subscribe, capture, login
):
    subscribe("customer.created")
    receiver.status = 500
    receiver.reply = b"database is down"
    with capture(execute=True):
        response = login(people.rep).post(
            "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司"}
        )
    assert response.status_code == 302  # the customer is saved; the receiver's 500 is logged
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 500)
    assert delivery.response_body == "database is down" and "500" in delivery.error
    waits = [delivery.next_attempt_at - timezone.now()]
    assert timedelta(seconds=50) < waits[0] <= timedelta(minutes=1)

    assert sender.retry_due() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    for attempts in (2, 3):
        _due_now()
        with capture(execute=True):
            assert sender.retry_due() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("failed", attempts)
        waits.append(delivery.next_attempt_at - timezone.now())
    assert waits[0] < waits[1] < waits[2]  # 1 min, 5 min, 30 min
    assert timedelta(minutes=4) < waits[1] <= timedelta(minutes=5)
    assert timedelta(minutes=29) < waits[2] <= timedelta(minutes=30)
    assert len(receiver.requests) == 3 and all(r.valid for r in receiver.requests)
    # the same event each time: receivers deduplicate on its id
    assert len({r.json["id"] for r in receiver.requests}) == 1

    receiver.status = 204
    _due_now()
    with capture(execute=True):
        sender.retry_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 4, 204)


def test_after_six_attempts_it_gives_up_and_tells_the_creator(people, receiver, subscribe, capture):
    endpoint = subscribe("customer.created", actor=people.director)
    receiver.status = 503
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    for _ in range(sender.MAX_ATTEMPTS - 1):
        _due_now()
        with capture(execute=True):
            sender.retry_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("gave_up", 6)
    assert delivery.next_attempt_at is None
    _due_now()
    assert sender.retry_due() == 0
    assert len(receiver.requests) == 6
    [note] = Notification.objects.all()
    assert note.user == people.director
    assert endpoint.url in note.text and note.url == f"/webhooks/{endpoint.pk}/"


def test_a_receiver_that_is_down_is_recorded_not_raised(
    people, subscribe, capture, closed_port_url, login
):
    subscribe("customer.created", url=closed_port_url)
    with capture(execute=True):
        response = login(people.rep).post(
            "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司"}
        )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.response_code is None
    assert "refused" in delivery.error.lower() or "error" in delivery.error.lower()


def test_the_request_does_not_wait_for_the_receiver(
    people, receiver, subscribe, capture, login, settings
):
    """With the real (database) worker the request only queues the job: nothing is sent
    before the worker runs it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    subscribe("customer.created")
    with capture(execute=True):
        response = login(people.rep).post(
            "/customers/new/", {**NEW, "name": "成都蓝海科技有限公司"}
        )
    assert response.status_code == 302
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    [queued] = default_task_backend.results
    assert queued.task.name == "deliver" and queued.args == [delivery.pk]
    queued.task.call(*queued.args)  # the worker's turn
    delivery.refresh_from_db()
    assert delivery.status == "sent" and receiver.requests[0].valid


def test_a_failure_defers_its_retry_on_a_backend_that_can(
    people, receiver, subscribe, capture, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    subscribe("customer.created")
    receiver.status = 500
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    [first] = default_task_backend.results
    with capture(execute=True):
        first.task.call(*first.args)
    delivery = Delivery.objects.get()
    retry = default_task_backend.results[-1]
    assert retry.args == [delivery.pk] and retry.task.run_after == delivery.next_attempt_at
    # run early (a clock skew, a second worker), it sends nothing: the attempt is not due
    assert retry.task.call(*retry.args) == {"status": "failed"}
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(people, receiver, subscribe, capture):
    subscribe("customer.created")
    receiver.status = 302
    receiver.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("failed", 302)
    assert len(receiver.requests) == 1


def test_long_responses_are_cut_to_two_kilobytes(people, receiver, subscribe, capture):
    subscribe("customer.created")
    receiver.reply = "错".encode() * 5000
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and len(delivery.response_body.encode()) <= 2048 + 3


def test_emit_writes_one_row_per_endpoint_in_one_insert(
    people, receiver, subscribe, capture, django_assert_num_queries
):
    for _ in range(3):
        subscribe("customer.updated")
    subscribe("tier.changed")
    with django_assert_num_queries(2):  # the endpoints, one INSERT of the deliveries
        made = events.emit("customer.updated", {"customer_id": 1})
    assert len(made) == 3 and Delivery.objects.count() == 3
    with django_assert_num_queries(1):
        assert events.emit("interaction.logged", {"interaction_id": 1}) == []


def test_unknown_events_are_a_programming_error(db):
    with pytest.raises(ValueError):
        events.emit("customer.deleted", {})


def test_the_retry_sweep_is_scheduled_and_has_a_command(
    people, receiver, subscribe, capture, capsys
):
    assert "webhooks.retry" in schedule.discover()
    subscribe("customer.created")
    receiver.status = 500
    with capture(execute=True):
        people.customer(people.rep, "杭州云帆科技有限公司")
    receiver.status = 200
    _due_now()
    with capture(execute=True):
        call_command("webhooks", "retry")
    assert "enqueued: 1" in capsys.readouterr().out
    assert Delivery.objects.get().status == "sent"


def test_non_http_urls_are_never_sent_to(db):
    assert "refused" in sender.post("file:///etc/passwd", b"{}", {}).error


def test_a_customer_update_is_delivered(people, receiver, subscribe, capture):
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    subscribe("customer.updated")
    with capture(execute=True):
        customer_services.update_customer(people.rep, customer, {"city": "杭州"})
    [got] = receiver.requests
    assert got.valid and got.json["data"]["customer_id"] == customer.pk
