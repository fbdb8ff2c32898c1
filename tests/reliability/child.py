"""A Kehu process of its own, run by the reliability tests against a database of their own
(a SQLite file, or a PostgreSQL database): `python child.py SCENARIO [ARGS…]`. Prints one JSON
line (the last) for the parent.

With REL_PAUSE set (and REL_MARKER, a file path), the scenario stops at a chosen point in the
middle of its work: it writes the marker, then waits until the file REL_GO exists (or forever,
when the parent means to SIGKILL it there)."""

import csv
import functools
import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.core.models import AuditEvent  # noqa: E402
from kehu.customers.models import Contact, Customer  # noqa: E402
from kehu.followups.models import Notification, PoolEvent  # noqa: E402
from kehu.sheets.models import ImportBatch, ImportRecord  # noqa: E402
from kehu.targets.models import Target, TargetChange  # noqa: E402
from kehu.tiering.models import TierProposal, TierRun  # noqa: E402

CRITERIA = [{"metric": "purchase_amount", "weight": 100, "normalisation": "minmax"}]
BY_SCORE = [{"label": "A", "value": 70}, {"label": "B", "value": 40}, {"label": "C", "value": 0}]
IMPORT_ROWS = 120


def pause() -> None:
    Path(os.environ["REL_MARKER"]).write_text(str(os.getpid()))
    go = os.environ.get("REL_GO")
    while not (go and os.path.exists(go)):
        time.sleep(0.02)


def pause_in(obj, attr: str, *, after: bool = False, nth: int = 1) -> None:
    """Makes the `nth` call of obj.attr pause, before it runs or after it returned."""
    real = getattr(obj, attr)
    calls = [0]

    @functools.wraps(real)
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if not after and calls[0] == nth:
            pause()
        result = real(*args, **kwargs)
        if after and calls[0] == nth:
            pause()
        return result

    setattr(obj, attr, wrapper)


def install_pause(point: str) -> None:
    from kehu.core import bulk
    from kehu.customers import services as customers
    from kehu.followups import pool
    from kehu.sheets import importer
    from kehu.targets import services as targets
    from kehu.tiering import services as tiering

    where = {
        # after the claim, before any write
        "retier.evaluate": lambda: pause_in(tiering, "evaluate"),
        # inside the run's transaction: every score written, no proposal yet
        "retier.scores": lambda: pause_in(bulk, "update_from", after=True),
        # after reading who is due, before writing
        "recycle.read": lambda: pause_in(pool, "rule_days"),
        # inside the recycling's transaction: owners cleared, nothing recorded yet
        "recycle.written": lambda: pause_in(pool, "_record_releases"),
        # after the claim, before the rows are matched
        "import.analyse": lambda: pause_in(importer, "analyse"),
        # inside the import's transaction: every customer inserted and audited, the undo
        # records not yet written
        "import.write": lambda: pause_in(importer, "record_rows", after=True),
        # inside the merge's transaction: the related records moved
        "merge.moved": lambda: pause_in(customers, "_move_related", after=True),
        # inside the decomposition's transaction: two of the four quarters written
        "decompose.half": lambda: pause_in(targets, "_log", after=True, nth=2),
    }
    if point == "edit.checked":  # inside each save, after its version check, before writing
        from kehu.core import audit
        from kehu.pipeline import services as pipeline

        pause_in(audit, "snapshot")  # customers
        pause_in(pipeline, "_clean")  # deals
        pause_in(targets, "_require_reason")  # targets
    elif point != "edit.opened":  # (that one pauses in the scenario itself)
        where[point]()


def _recorded(records) -> int:
    """Records an import created or changed (created ones are kept as runs of ids)."""
    return records.aggregate(n=Sum("count"))["n"] or 0


def director() -> User:
    return User.objects.get(username="director")


def csv_rows(prefix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户名称", "联系人", "电话"])
    for i in range(IMPORT_ROWS):
        writer.writerow([f"{prefix}{i:03d}号贸易有限公司", f"联系人{i}", f"1380000{i:04d}"])
    return out.getvalue().encode("utf-8-sig")


# --- scenarios --------------------------------------------------------------------------------
def seed() -> dict:
    """Migrates, then the data every reliability test starts from."""
    from django_tasks_db.models import DBTaskResult

    from kehu.customers import services as customers
    from kehu.followups import pool
    from kehu.pipeline import services as pipeline
    from kehu.sheets import importer
    from kehu.sheets import services as sheets
    from kehu.targets import services as targets
    from kehu.tiering import services as tiering
    from tests.conftest import People

    call_command("migrate", verbosity=0)
    people = People()
    owners = [people.rep, people.rep2, people.rep3]
    ids = []
    for i in range(30):
        customer = people.customer(
            owners[i % 3], f"第{i:02d}号精密制造有限公司", cooperation_amount=str(10000 * (i + 1))
        )
        ids.append(customer.pk)
    Customer.objects.update(tier="C", created_at=timezone.now() - timedelta(days=200))
    keep, drop = Customer.objects.get(pk=ids[0]), Customer.objects.get(pk=ids[3])  # 张伟's
    for name in ("王芳", "李强"):
        customers.add_contact(people.rep, drop, {"name": name})
    customers.add_contact(people.rep, keep, {"name": "赵敏"})
    pool.ensure_default_rules()
    policy = tiering.create_policy(people.director, "默认客户分级", CRITERIA, BY_SCORE, "score")
    tiering.publish_policy(people.director, policy)
    target = targets.set_target(
        people.director, "won_amount", "year", timezone.localdate(), "1200000.00"
    )
    collections = targets.set_target(
        people.director, "collections", "year", timezone.localdate(), "800000.00"
    )
    targets.decompose(people.director, collections, "time", "equal")
    pipeline.ensure_default_stages()
    pipeline.create_deal(people.rep, keep, {"title": "ERP 升级", "amount": "120000"})
    preview = sheets.upload(people.director, csv_rows("甲批"), "甲批.csv")
    queued = sheets.upload(people.director, csv_rows("乙批"), "乙批.csv")
    settings.KEHU_IMPORT_SYNC_ROWS = 1  # queued for a worker …
    importer.commit(people.director, queued, {})
    DBTaskResult.objects.all().delete()  # … that never picked it up
    return {
        "customers": ids,
        "keep": keep.pk,
        "drop": drop.pk,
        "target": target.pk,
        "preview_batch": preview.pk,
        "queued_batch": queued.pk,
        "import_rows": IMPORT_ROWS,
    }


def state() -> dict:
    """What the parent checks: counts of everything the jobs write."""
    runs = list(TierRun.objects.order_by("pk").values("pk", "status", "active", "error"))
    for run in runs:
        run["proposals"] = TierProposal.objects.filter(run_id=run["pk"]).count()
    return {
        "customers": Customer.objects.count(),
        "names": sorted(Customer.objects.values_list("name", flat=True)),
        "contacts": {
            str(k): n for k, n in Contact.objects.values_list("customer_id").annotate(n=Count("id"))
        },
        "amounts": {
            str(k): str(v) for k, v in Customer.objects.values_list("pk", "cooperation_amount")
        },
        "versions": {str(k): v for k, v in Customer.objects.values_list("pk", "version")},
        "owned": Customer.objects.filter(owner__isnull=False).count(),
        "pooled": Customer.objects.filter(pooled_at__isnull=False).count(),
        "releases": PoolEvent.objects.filter(kind=PoolEvent.Kind.RELEASE).count(),
        "release_audits": AuditEvent.objects.filter(actor__isnull=True, action="update").count(),
        "notifications": Notification.objects.count(),
        "merges": AuditEvent.objects.filter(action=AuditEvent.Action.MERGE).count(),
        "runs": runs,
        "score_runs": sorted(
            {r for r in Customer.objects.values_list("score_run_id", flat=True) if r}
        ),
        "scored": Customer.objects.filter(score__isnull=False).count(),
        "batches": {
            str(b.pk): {"status": b.status, "records": _recorded(b.records)}
            for b in ImportBatch.objects.all()
        },
        "records": _recorded(ImportRecord.objects),
        "targets": Target.objects.count(),
        "target_changes": TargetChange.objects.count(),
    }


def retier() -> dict:
    from kehu.tiering import services

    run = services.run_now(director())
    return {"run": run.pk, "status": run.status}


def start_and_execute_run() -> dict:
    from kehu.tiering import services

    run = services.start_run(director(), enqueue=False)
    run = services.execute_run(run.pk)
    return {"run": run.pk, "status": run.status}


def execute_active_run() -> dict:
    from kehu.tiering import services

    run = services.execute_run(TierRun.objects.get(active=True).pk)
    return {"run": run.pk, "status": run.status}


def recycle() -> dict:
    from kehu.followups import pool

    return {"released": pool.recycle()}


def commit_import(batch_id: str) -> dict:
    from kehu.sheets import importer

    batch = importer.commit(director(), ImportBatch.objects.get(pk=batch_id), {})
    return {"status": batch.status}


def execute_import(batch_id: str) -> dict:
    from kehu.sheets import importer

    return {"status": importer.execute(int(batch_id)).status}


def merge(keep: str, drop: str) -> dict:
    from kehu.customers import services

    actor = User.objects.get(username="rep")
    kept = services.merge_customers(
        actor, Customer.objects.get(pk=keep), Customer.objects.get(pk=drop)
    )
    return {"kept": kept.pk}


def decompose(target_id: str) -> dict:
    from kehu.targets import services

    parts = services.decompose(director(), Target.objects.get(pk=target_id), "time", "equal")
    return {"parts": [str(p.amount) for p in parts]}


EDITORS = {
    "customer": ("manager", "rep"),
    "deal": ("manager", "rep"),
    "target": ("director", "admin"),
}


def edit(kind: str, who: str) -> dict:
    """`who` ("first" or "second") saves the record of `kind` from the version it reads
    first; "" only reads the value saved."""
    from kehu.customers import services as customers
    from kehu.customers.services import StaleEdit
    from kehu.pipeline import services as pipeline
    from kehu.pipeline.models import Deal
    from kehu.targets import services as targets

    def record():
        if kind == "customer":
            return Customer.objects.get(name="第00号精密制造有限公司")
        if kind == "deal":
            return Deal.objects.get(title__startswith="ERP")
        return Target.objects.filter(metric="collections", period="quarter").order_by("start")[0]

    def value(obj):
        return {"customer": "notes", "deal": "title", "target": "amount"}[kind], obj

    def read():
        field, obj = value(record())
        return str(getattr(obj, field))

    if not who:
        return {"value": read()}
    actor = User.objects.get(username=EDITORS[kind][who == "second"])
    obj = record()
    opened = obj.version
    if os.environ.get("REL_PAUSE") == "edit.opened":
        pause()
    try:
        if kind == "customer":
            customers.update_customer(actor, obj, {"notes": f"{who}的修改"}, version=opened)
        elif kind == "deal":
            pipeline.update_deal(actor, obj, {"title": f"ERP {who}"}, version=opened)
        else:
            amount = "300000.00" if who == "first" else "100000.00"
            targets.set_allocation(actor, obj, amount, version=opened)
    except (StaleEdit, ValidationError) as exc:
        return {
            "opened": opened,
            "result": "stale",
            "message": " ".join(getattr(exc, "messages", [str(exc)])),
        }
    return {"opened": opened, "result": "saved", "value": read()}


def worker() -> dict:
    """`kehu worker` restarted after a crash: recovers, runs what is queued, exits."""
    call_command("worker", "--once", "--no-schedule")
    return {}


SCENARIOS = {
    f.__name__: f
    for f in (
        seed,
        state,
        retier,
        start_and_execute_run,
        execute_active_run,
        recycle,
        commit_import,
        execute_import,
        merge,
        decompose,
        edit,
        worker,
    )
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    if os.environ.get("REL_PAUSE"):
        install_pause(os.environ["REL_PAUSE"])
    result = SCENARIOS[name](*args)
    if name != "state":
        result = {**result, "state": state()}
    print(json.dumps(result, ensure_ascii=False, default=str))
