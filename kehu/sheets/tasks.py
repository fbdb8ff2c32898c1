"""Large imports run in the background worker (kehu worker), one claim per batch."""

from django_tasks import task

from . import importer, services


@task()
def run_import(batch_id: int) -> dict:
    batch = importer.execute(batch_id)
    return {"status": batch.status, "summary": batch.summary}


@task()
def check_import(batch_id: int) -> dict:
    batch = services.check(batch_id)
    return {"status": batch.status, "rows": batch.total}
