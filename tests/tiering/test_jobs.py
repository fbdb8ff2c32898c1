"""Re-tiering as a background job: scores written back, one run at a time, progress on the
page, the quarterly schedule, the daily apply-and-snapshot job, the distribution over time."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from kehu.core import schedule
from kehu.core.models import ScheduledJob
from kehu.customers.models import Customer
from kehu.tiering import queries, services
from kehu.tiering.models import TierProposal, TierRun, TierSnapshot


def test_a_run_writes_every_score_back_with_the_run_that_computed_it(people, book, policy):
    big, mid, small = book
    run = services.run_tiering(people.director, policy)
    scores = dict(Customer.objects.values_list("pk", "score"))
    assert scores[big.pk] == Decimal("100.00")
    assert Decimal("0") <= scores[small.pk] < scores[mid.pk] < scores[big.pk]
    assert set(Customer.objects.values_list("score_run", flat=True)) == {run.pk}
    assert Customer.objects.get(pk=big.pk).tier == "C"  # the tier itself waits for review


def test_customer_page_names_the_policy_version_behind_the_score(people, book, policy, login):
    services.run_tiering(people.director, policy)
    page = login(people.rep).get(f"/customers/{book[0].pk}/").content.decode()
    assert "默认客户分级 v1" in page and 'data-testid="scored-by"' in page


def test_only_one_run_at_a_time(people, book, policy):
    queued = services.start_run(people.director, policy, enqueue=False)
    assert queued.status == TierRun.Status.QUEUED
    with pytest.raises(ValidationError) as err:
        services.start_run(people.director, policy)
    assert "run" in err.value.message_dict
    services.execute_run(queued.pk)
    assert services.start_run(people.director, policy, enqueue=False).status == "queued"


def test_a_run_picked_up_twice_runs_once(people, book, policy):
    run = services.start_run(people.director, policy, enqueue=False)
    first = services.execute_run(run.pk)
    again = services.execute_run(run.pk)  # a second worker claiming the same job
    assert first.status == again.status == "done"
    assert TierProposal.objects.filter(run=run).count() == first.proposals == 1


def test_a_run_that_stopped_reporting_is_failed_so_a_new_one_can_start(people, book, policy):
    dead = services.start_run(people.director, policy, enqueue=False)
    TierRun.objects.filter(pk=dead.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    fresh = services.run_tiering(people.director, policy)
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.active is None
    assert fresh.status == "done"


def test_a_failing_run_is_recorded_and_does_not_block_the_next(people, book, policy, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "evaluate", broken)
    run = services.run_tiering(people.director, policy)  # the job fails, the request does not
    assert run.status == "failed" and "disk full" in run.error
    assert Customer.objects.filter(score_run__isnull=False).count() == 0
    monkeypatch.undo()
    assert services.run_tiering(people.director, policy).status == "done"


def test_a_rep_or_manager_cannot_start_a_run(people, policy):
    from kehu.accounts.access import AccessDenied

    for person in (people.rep, people.manager):
        with pytest.raises(AccessDenied):
            services.start_run(person, policy)


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_run(people, book, policy, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = services.start_run(people.director, policy)
    assert TierRun.objects.get(pk=run.pk).status == "queued"  # nothing ran in the request
    call_command("worker", "--once", "--no-schedule")
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100 and run.proposals == 1


# --- pages -----------------------------------------------------------------------------------
def test_director_starts_a_run_from_the_page(people, book, policy, login):
    client = login(people.director)
    response = client.post(f"/tiering/policies/{policy.pk}/run/", follow=True)
    assert response.status_code == 200
    run = TierRun.objects.get()
    assert run.status == "done" and run.started_by == people.director
    assert "1" in response.content.decode()  # proposals column


def test_the_runs_table_polls_while_a_run_is_in_progress(people, book, policy, login):
    client = login(people.director)
    done = client.get("/tiering/runs/").content.decode()
    assert "hx-trigger" not in done
    run = services.start_run(people.director, policy, enqueue=False)
    TierRun.objects.filter(pk=run.pk).update(status="running", progress=40)
    running = client.get("/tiering/runs/").content.decode()
    assert 'hx-trigger="every 2s"' in running and 'aria-valuenow="40"' in running


def test_runs_and_schedule_are_for_directors_only(people, login):
    for person in (people.rep, people.manager, people.viewer):
        client = login(person)
        assert client.get("/tiering/runs/").status_code == 404
        assert client.post("/tiering/schedule/", {"every": "day"}).status_code == 404


def test_director_changes_the_retier_schedule(people, login):
    client = login(people.director)
    client.post("/tiering/schedule/", {"every": "month"})
    job = ScheduledJob.objects.get(name="tiering.retier")
    assert job.every == "month"
    nxt = timezone.localtime(job.next_run_at)
    assert nxt.day == 1 and nxt.hour == 2 and job.next_run_at > timezone.now()
    client.post("/tiering/schedule/", {"every": "fortnightly"})
    assert ScheduledJob.objects.get(name="tiering.retier").every == "month"


# --- the schedule ----------------------------------------------------------------------------
def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.mark.parametrize(
    ("moment", "every", "expected"),
    [
        (local(2026, 11, 23, 10), "day", local(2026, 11, 24, 2)),
        (local(2026, 11, 23, 1), "day", local(2026, 11, 23, 2)),
        (local(2026, 11, 23, 10), "week", local(2026, 11, 30, 2)),  # the next Monday
        (local(2026, 11, 23, 10), "month", local(2026, 12, 1, 2)),
        (local(2026, 11, 23, 10), "quarter", local(2027, 1, 1, 2)),
        (local(2026, 1, 1, 2), "quarter", local(2026, 4, 1, 2)),  # strictly after
        (local(2026, 3, 31, 23), "quarter", local(2026, 4, 1, 2)),
        (local(2026, 11, 23, 10), "year", local(2027, 1, 1, 2)),
    ],
)
def test_next_run_is_the_next_calendar_boundary(moment, every, expected):
    assert schedule.next_after(moment, every, 2) == expected


def test_never_has_no_next_run():
    assert schedule.next_after(timezone.now(), "never", 2) is None


def test_the_quarterly_retier_is_enqueued_once_when_due(people, book, policy):
    job = services.retier_schedule()
    assert job.every == "quarter"
    due = job.next_run_at + timedelta(minutes=1)
    assert "tiering.retier" in schedule.enqueue_due(due)
    assert "tiering.retier" not in schedule.enqueue_due(due)  # a second worker, same moment
    run = TierRun.objects.get()
    assert run.started_by is None and run.status == "done" and run.proposals == 1
    job.refresh_from_db()
    assert job.next_run_at > due and job.last_run_at == due


def test_daily_job_applies_due_changes_and_records_the_distribution(people, book, policy):
    services.run_tiering(people.director, policy)
    proposal = TierProposal.objects.get(customer=book[0])
    services.review(people.manager, proposal, "approve")
    services.review(people.director, proposal, "approve")
    schedule.ensure_jobs()
    due = ScheduledJob.objects.get(name="tiering.daily").next_run_at + timedelta(minutes=1)
    assert "tiering.daily" in schedule.enqueue_due(due)
    assert Customer.objects.get(pk=book[0].pk).tier == "A"
    counts = {s.tier: s.customers for s in TierSnapshot.objects.filter(owner=people.rep)}
    assert counts == {"A": 1, "B": 1}


def test_distribution_over_time_counts_only_what_the_viewer_may_see(people, book, policy):
    today = timezone.localdate()
    services.record_snapshot(today - timedelta(days=1))
    Customer.objects.filter(pk=book[2].pk).update(tier="B")
    services.record_snapshot(today)
    mine = queries.distribution_over_time(people.rep)
    assert mine["series"] == {"B": [1, 1], "C": [1, 1]}  # 张伟's two customers
    everyone = queries.distribution_over_time(people.director)
    assert everyone["series"] == {"B": [1, 2], "C": [2, 1]}
    assert everyone["days"] == [(today - timedelta(days=1)).isoformat(), today.isoformat()]


def test_history_page_draws_the_distribution_chart(people, book, policy, login):
    services.record_snapshot()
    page = login(people.manager).get("/tiering/history/").content.decode()
    assert 'data-chart="tier-chart"' in page and "echarts.min.js" in page
    start = page.index('<script id="tier-chart" type="application/json">') + len(
        '<script id="tier-chart" type="application/json">'
    )
    option = json.loads(page[start : page.index("</script>", start)])
    assert {s["name"] for s in option["series"]} == {"B", "C"}


def test_transitions_between_two_dates(people, book, policy, login):
    from kehu.tiering.models import TierChange

    TierChange.objects.create(customer=book[0], from_tier="C", to_tier="A", source="review")
    old = TierChange.objects.create(customer=book[2], from_tier="C", to_tier="B", source="review")
    TierChange.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=40))
    client = login(people.director)
    today = timezone.localdate()
    recent = client.get(f"/tiering/history/?since={today - timedelta(days=7)}")
    assert recent.context["transitions"]["total"] == 1
    earlier = client.get(
        f"/tiering/history/?since={today - timedelta(days=60)}&until={today - timedelta(days=30)}"
    )
    assert earlier.context["transitions"]["matrix"]["C"]["B"] == 1
    assert earlier.context["transitions"]["total"] == 1
