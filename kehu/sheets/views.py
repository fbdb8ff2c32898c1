"""Import pages: upload, the dry-run preview with its mapping and choices, progress, undo;
blank templates to download."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kehu.accounts import access
from kehu.core.forms import add_errors

from . import export, importer, services
from .forms import UploadForm
from .kinds import IGNORE, KINDS
from .models import ImportBatch

CATEGORY_LABELS = {
    importer.NEW: gettext_lazy("New"),
    importer.MATCHED: gettext_lazy("Existing, to update"),
    importer.DUPLICATE: gettext_lazy("Likely duplicates of customers you cannot change"),
    importer.IN_FILE: gettext_lazy("Repeated in this file"),
    importer.ERROR: gettext_lazy("Rows with errors"),
    importer.UNCHANGED: gettext_lazy("Already up to date"),
}
ACTION_LABELS = {
    importer.CREATE: gettext_lazy("Create"),
    importer.UPDATE: gettext_lazy("Update"),
    importer.SKIP: gettext_lazy("Skip"),
}


def _batch(request, pk) -> ImportBatch:
    """The batch if the person may see it (their own; directors and admins: all), else 404."""
    return get_object_or_404(services.visible_batches(request.user), pk=pk)


def import_start(request):
    if request.user.is_read_only:
        raise PermissionDenied
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.upload(
                request.user,
                upload.read(),
                upload.name,
                form.cleaned_data["kind"],
                background=True,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("sheets:batch", pk=batch.pk)
    batches = services.visible_batches(request.user)[:20]
    return render(
        request, "sheets/import.html", {"form": form, "batches": batches, "kinds": KINDS.values()}
    )


def batch_detail(request, pk):
    batch = _batch(request, pk)
    if request.method == "POST":
        return _batch_post(request, batch)
    sheet = KINDS[batch.kind]
    summary = batch.summary
    categories = [
        (key, str(label), summary.get(key, 0), sorted(importer.ALLOWED[key]))
        for key, label in CATEGORY_LABELS.items()
        if summary.get(key)
    ]
    columns = [
        (i, header, field)
        for i, (header, field) in enumerate(
            zip(batch.mapping.get("headers", []), batch.mapping.get("fields", []), strict=False)
        )
    ]
    context = {
        "batch": batch,
        "categories": categories,
        "category_labels": {k: str(v) for k, v in CATEGORY_LABELS.items()},
        "action_labels": {k: str(v) for k, v in ACTION_LABELS.items()},
        "defaults": importer.DEFAULT_CHOICES,
        "samples": summary.get("samples", []),
        "columns": columns,
        "fields": [(c.key, c.label) for c in sheet.columns],
        "ignore": IGNORE,
        "is_preview": batch.status == ImportBatch.Status.PREVIEW,
        "is_mine": batch.created_by_id == request.user.pk,
        "can_undo": batch.status == ImportBatch.Status.DONE
        and request.user.sees_everything
        and not request.user.is_read_only,
        "running": batch.status
        in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING, ImportBatch.Status.CHECKING),
    }
    if request.htmx and request.GET.get("progress"):
        return render(request, "sheets/partials/progress.html", context)
    return render(request, "sheets/batch.html", context)


def _batch_post(request, batch):
    action = request.POST.get("action")
    try:
        if action == "remap":
            fields = [
                request.POST.get(f"field_{i}") or None for i in range(len(batch.mapping["headers"]))
            ]
            services.remap(request.user, batch, fields)
            messages.success(request, _("Mapping applied; the preview is up to date."))
        elif action == "save_mapping":
            services.save_mapping(request.user, batch, request.POST.get("name", ""))
            messages.success(
                request, _("Mapping saved: sheets with these headers will map themselves.")
            )
        elif action == "commit":
            choices = {
                k: request.POST.get(k) for k in importer.DEFAULT_CHOICES if request.POST.get(k)
            }
            choices["rows"] = {
                key.removeprefix("row_"): value
                for key, value in request.POST.items()
                if key.startswith("row_") and value
            }
            batch = importer.commit(request.user, batch, choices)
            if batch.status == ImportBatch.Status.DONE:
                messages.success(
                    request,
                    _("Imported: %(created)s created, %(updated)s updated.")
                    % {
                        "created": batch.summary.get("created", 0),
                        "updated": batch.summary.get("updated", 0),
                    },
                )
        elif action == "undo":
            importer.undo(request.user, batch)
            messages.success(request, _("The import was undone."))
    except (ValidationError, importer.ImportRefused, access.AccessDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    return redirect("sheets:batch", pk=batch.pk)


@require_GET
def template(request, kind):
    """A blank sheet with the headers Kehu reads and drop-downs for coded columns."""
    sheet = KINDS.get(kind)
    if sheet is None:
        raise Http404
    columns = [
        export.Column(str(c.label), c.kind, None, tuple(c.choices()) if c.choices else ())
        for c in sheet.columns
    ]
    return export.xlsx_response(str(sheet.template_name), str(sheet.label), columns, [])


@require_GET
def error_report(request, pk):
    """Every row of the file with a problem, one line per problem: fix them in the sheet."""
    batch = _batch(request, pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise Http404
    analysis = importer.analyse(request.user, batch)
    columns = [
        export.Column(_("row"), export.INTEGER),
        export.Column(_("customer name"), width=30),
        export.Column(_("column"), width=20),
        export.Column(_("problem"), width=60),
    ]
    rows = [
        [plan.row.number, plan.row.name or plan.row.values.get("customer", ""), p.column, p.message]
        for plan in analysis.plans
        for p in plan.row.problems
    ]
    return export.xlsx_response(f"{batch.filename}-{_('errors')}", str(_("errors")), columns, rows)
