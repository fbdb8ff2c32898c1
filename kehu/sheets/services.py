"""Every write of the spreadsheet import: upload (with its dry run), the column mapping, saved
mappings. The commit and the undo are in importer.py."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core import leases
from kehu.core.bulk import paused_gc

from . import importer
from .customer_rows import encode_rows
from .kinds import IGNORE, KINDS
from .models import ImportBatch, ImportContent, ImportMapping
from .reader import SheetError, guess_mapping, header_key, read_rows

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SAMPLE_ROWS = 200  # rows of each category kept for the preview page


def upload(
    actor, data: bytes, filename: str, kind: str = "customers", *, background: bool = False
) -> ImportBatch:
    """Stores the file, finds its header and maps its columns (a saved mapping with the same
    headers first), and runs the dry run: here, or for a large file in the background worker
    when `background` (the page shows its progress)."""
    access.require(not actor.is_read_only)
    sheet = KINDS.get(kind)
    if sheet is None:
        raise ValidationError({"kind": [_("Choose what the sheet holds.")]})
    if not data:
        raise ValidationError({"file": [_("The file is empty.")]})
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The file is larger than 50 MB.")]})
    background = background and len(data) > settings.KEHU_IMPORT_SYNC_BYTES
    try:
        rows = read_rows(data, filename)
        head = []
        for row in rows:
            head.append(row)
            if len(head) >= 20:
                break
        mapping = guess_mapping(head, sheet.synonyms())
        # a dry run here goes on from the rows read (a spreadsheet is parsed whole either way)
        with paused_gc():
            every_row = None if background else head + list(rows)
    except SheetError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    fields = _saved_fields(actor, kind, mapping.headers) or mapping.fields
    with transaction.atomic():  # never a batch without its file
        batch = ImportBatch.objects.create(
            kind=kind,
            filename=filename[:200],
            created_by=actor,
            mapping={**mapping.as_dict(), "fields": fields},
        )
        ImportContent.objects.create(batch=batch, data=data)
    if background:
        from .tasks import check_import

        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CHECKING)
        batch.status = ImportBatch.Status.CHECKING
        transaction.on_commit(lambda: check_import.enqueue(batch.pk))
        return batch
    return dry_run(actor, batch, rows=every_row)


def _check_lease(batch_id: int) -> str:
    return f"import-check-{batch_id}"


def check(batch_id: int) -> ImportBatch:
    """The background dry run of a large upload, run once (however many workers pick it up).
    Claimed by setting its progress to 1 under a lease: a check whose process died shows as
    progress without a lease, and `recover_stale_checks` queues it again."""
    with leases.holding(_check_lease(batch_id)) as held:
        claimed = held and ImportBatch.objects.filter(
            pk=batch_id, status=ImportBatch.Status.CHECKING, progress=0
        ).update(progress=1)
        batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
        if not claimed:
            return batch
        return _check(batch_id, batch)


@leases.on_recovery
def recover_stale_checks() -> int:
    """Queues again the background dry runs whose process died half-way (`kehu worker` calls
    this): a dry run writes nothing but the batch's preview, so it simply runs again."""
    from .tasks import check_import

    started = ImportBatch.objects.filter(status=ImportBatch.Status.CHECKING, progress__gte=1)
    requeued = 0
    for pk in started.values_list("pk", flat=True):
        if leases.alive(_check_lease(pk)):
            continue
        if started.filter(pk=pk).update(progress=0):
            check_import.enqueue(pk)
            requeued += 1
    return requeued


def _check(batch_id: int, batch: ImportBatch) -> ImportBatch:
    def progress(count):
        ImportBatch.objects.filter(pk=batch_id).update(progress=count)

    try:
        return dry_run(batch.created_by, batch, progress=progress)
    except (ValidationError, SheetError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED, error=message[:2000]
        )
        batch.refresh_from_db()
        return batch
    except Exception as exc:  # a bug, not the file: failed (shown), not retried for ever
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED, error=str(exc)[:2000]
        )
        raise


def _saved_fields(actor, kind: str, headers: list[str]) -> list | None:
    keys = [header_key(h) for h in headers]
    for saved in ImportMapping.objects.filter(user=actor, kind=kind):
        if all(k in saved.fields for k in keys if k):
            return [saved.fields.get(k) or None for k in keys]
    return None


def _own_preview(actor, batch: ImportBatch) -> ImportBatch:
    access.require(batch.created_by_id == actor.pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise importer.ImportRefused(_("This file has already been imported."))
    return batch


def dry_run(actor, batch: ImportBatch, progress=None, rows=None) -> ImportBatch:
    """Analyses every row (`rows`: the file's, when already read) and keeps the counts and
    samples the preview page shows."""
    try:
        analysis = importer.analyse(actor, batch, progress=progress, rows=rows)
    except SheetError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    counts = analysis.counts()
    samples = []
    taken: dict[str, int] = {}
    labels = _field_labels(batch.kind)
    for plan in analysis.plans:
        if taken.get(plan.category, 0) >= SAMPLE_ROWS:
            continue
        taken[plan.category] = taken.get(plan.category, 0) + 1
        samples.append(
            {
                "number": plan.row.number,
                "category": plan.category,
                "name": plan.row.name
                or plan.row.values.get("customer")
                or str(plan.row.values.get("customer_id", "")),
                "reason": plan.reason,
                "match": plan.match_label,
                "match_id": plan.match_id,
                "problems": [[p.column, p.message] for p in plan.row.problems],
                "changes": [
                    [labels.get(k.removesuffix("_id"), k), _plain(old), _plain(new)]
                    for k, (old, new) in plan.changes.items()
                    if not k.endswith("_id")
                ]
                + [
                    [labels.get(k.removesuffix("_id"), k), "", str(_("changed"))]
                    for k in plan.changes
                    if k.endswith("_id")
                ],
            }
        )
    batch.summary = {**counts, "samples": samples}
    batch.total = counts["rows"]
    batch.status = ImportBatch.Status.PREVIEW
    batch.progress = 0
    if batch.kind == "customers":
        with paused_gc():
            parsed = encode_rows([p.row for p in analysis.plans])
        batch.content.parsed = parsed
        batch.content.save(update_fields=["parsed"])
    batch.save(update_fields=["summary", "total", "status", "progress"])
    return batch


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "quantize"):
        return f"{value:,.2f}"
    return str(value)


def _field_labels(kind: str) -> dict[str, str]:
    return {c.key: str(c.label) for c in KINDS[kind].columns}


def remap(actor, batch: ImportBatch, fields: list[str | None]) -> ImportBatch:
    """The person's own mapping (a field per column, or none): each field at most once, the
    customer name (or number) mapped; then the dry run again."""
    _own_preview(actor, batch)
    sheet = KINDS[batch.kind]
    known = {c.key for c in sheet.columns}
    headers = batch.mapping["headers"]
    clean: list[str | None] = []
    errors = []
    for i, value in enumerate(fields[: len(headers)]):
        value = value or None
        if value not in known and value not in (None, IGNORE):
            value = None
        if value and value != IGNORE and value in clean:
            errors.append(
                _("“%(field)s” is mapped twice (column “%(header)s”).")
                % {"field": sheet.column(value).label, "header": headers[i]}
            )
        clean.append(value)
    clean += [None] * (len(headers) - len(clean))
    needed = {"name", "id"} if batch.kind == "customers" else {"customer", "customer_id", "id"}
    if not needed & set(clean):
        errors.append(_("Map a column to the customer name (or the customer number)."))
    if errors:
        raise ValidationError({"mapping": errors})
    batch.mapping = {**batch.mapping, "fields": clean}
    batch.save(update_fields=["mapping"])
    return dry_run(actor, batch)


@transaction.atomic
def save_mapping(actor, batch: ImportBatch, name: str) -> ImportMapping:
    access.require(batch.created_by_id == actor.pk)
    name = (name or "").strip()[:50]
    if not name:
        raise ValidationError({"name": [_("Give the mapping a name.")]})
    fields = {
        header_key(h): (f or "")
        for h, f in zip(batch.mapping["headers"], batch.mapping["fields"], strict=False)
        if header_key(h)
    }
    mapping, _created = ImportMapping.objects.update_or_create(
        user=actor, kind=batch.kind, name=name, defaults={"fields": fields}
    )
    return mapping


def visible_batches(actor):
    """Directors and admins see every import (they may undo them); others their own."""
    qs = ImportBatch.objects.select_related("created_by", "undone_by")
    return qs if actor.sees_everything else qs.filter(created_by=actor)
