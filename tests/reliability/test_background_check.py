"""The background dry run of a large upload: run once, and run again when its process died."""

from kehu.core import leases
from kehu.sheets import services
from kehu.sheets.models import ImportBatch


def _csv(rows) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8-sig")


def _queued(people, settings, django_capture_on_commit_callbacks) -> ImportBatch:
    settings.KEHU_IMPORT_SYNC_BYTES = 10
    data = _csv([["客户名称", "联系方式"], ["大文件有限公司", "13800000001"], ["好有限公司", ""]])
    with django_capture_on_commit_callbacks(execute=False):  # queued, no worker yet
        batch = services.upload(people.rep, data, "客户.csv", background=True)
    assert batch.status == ImportBatch.Status.CHECKING
    return batch


def test_a_check_killed_half_way_is_queued_again_and_finishes(
    people, settings, django_capture_on_commit_callbacks
):
    batch = _queued(people, settings, django_capture_on_commit_callbacks)
    # a worker claimed it (progress 1) and died: its lease went with its process
    ImportBatch.objects.filter(pk=batch.pk).update(progress=1)
    assert services.check(batch.pk).status == ImportBatch.Status.CHECKING  # not claimable
    assert leases.recover() >= 1  # `kehu worker` on start; the (immediate) queue runs it
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.summary["new"] == 2
    assert leases.recover() == 0  # nothing left to recover


def test_a_check_picked_up_twice_runs_once(people, settings, django_capture_on_commit_callbacks):
    batch = _queued(people, settings, django_capture_on_commit_callbacks)
    assert services.check(batch.pk).status == ImportBatch.Status.PREVIEW
    ImportBatch.objects.filter(pk=batch.pk).update(summary={"checked": "once"})
    assert services.check(batch.pk).summary == {"checked": "once"}  # the second did nothing


def test_a_queued_check_nobody_started_is_left_to_the_queue(
    people, settings, django_capture_on_commit_callbacks
):
    batch = _queued(people, settings, django_capture_on_commit_callbacks)
    assert leases.recover() == 0
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKING and batch.progress == 0
