import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One uploaded sheet: previewed (dry run), then committed all-or-nothing, and undoable.

    The file is kept (ImportContent) so that the commit (in the page or in the background
    worker) reads exactly what was previewed."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        PREVIEW = "preview", _("Previewed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    kind = models.CharField(_("sheet"), max_length=20)
    filename = models.CharField(_("file"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEW
    )
    # {"header_row": 2, "headers": [...], "fields": ["name", None, ...]}
    mapping = models.JSONField(default=dict)
    # {"new": "create", "matched": "update", "duplicate": "skip", "errors": "skip",
    #  "rows": {"17": "skip"}}
    choices = models.JSONField(default=dict)
    # counts of the dry run and of the commit: {"rows": …, "create": …, "update": …, …}
    summary = models.JSONField(default=dict)
    total = models.PositiveIntegerField(_("rows"), default=0)
    progress = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"


class ImportContent(models.Model):
    """An import's file and the rows its dry run parsed, apart from the batch: the batch's
    status and progress change while it runs, and SQLite rewrites the whole row (a file of up
    to 50 MB) on every change."""

    batch = models.OneToOneField(
        ImportBatch, on_delete=models.CASCADE, primary_key=True, related_name="content"
    )
    data = models.BinaryField(editable=False)
    # the rows the dry run parsed (customer sheets), read again by the commit
    parsed = models.BinaryField(null=True, editable=False)

    class Meta:
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")

    def __str__(self):
        return str(self.batch_id)


class ImportRecord(models.Model):
    """A record an import created or changed, with what it held before (for undo)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")

    # indexed by `importrecord_batch` (batch, action)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    # the customer's version after the import: undo refuses records changed since
    version = models.PositiveIntegerField(default=1)
    # creates: the `count` consecutive ids from object_id (one record for a whole sheet's new
    # customers, whose ids are reserved together); updates: 1
    count = models.PositiveIntegerField(default=1)
    # column → previous stored value (updates only)
    before = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        indexes = [models.Index(fields=["batch", "action"], name="importrecord_batch")]

    def __str__(self):
        return f"{self.batch_id}: {self.action} {self.object_id}"


class ImportMapping(models.Model):
    """A column mapping a person saved: next time a sheet with these headers maps itself."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_mappings"
    )
    kind = models.CharField(max_length=20)
    name = models.CharField(_("mapping name"), max_length=50)
    # header_key(header) → field ("" ignores the column)
    fields = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "name"], name="mapping_unique_name")
        ]

    def __str__(self):
        return self.name


RECORD_COLUMNS = ["batch_id", "object_id", "action", "version", "before", "count"]


def record_rows(batch_id: int, created: list[int], updated) -> list[tuple]:
    """ImportRecord rows (RECORD_COLUMNS) for the ids an import created, as runs of
    consecutive ids, and for `updated`: (id, version after, before) triples."""
    rows, ids = [], sorted(created)
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[i - 1] + 1:
            rows.append((batch_id, ids[start], ImportRecord.Action.CREATE, 1, None, i - start))
            start = i
    rows += [
        (batch_id, pk, ImportRecord.Action.UPDATE, version, json.dumps(before, default=str), 1)
        for pk, version, before in updated
    ]
    return rows


def created_ids(batch: ImportBatch) -> list[int]:
    """The ids of the records an import created."""
    runs = batch.records.filter(action=ImportRecord.Action.CREATE).values_list("object_id", "count")
    return [pk for first, count in runs for pk in range(first, first + count)]
