from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts import access
from kehu.core import audit
from kehu.core.forms import add_errors
from kehu.followups import queries as followup_queries
from kehu.followups.models import Method
from kehu.pipeline import queries as pipeline_queries
from kehu.quotas.panels import customer_panels as quota_panels
from kehu.sales.panels import customer_panels
from kehu.sheets import customer_export, downloads
from kehu.tiering import queries as tier_queries

from . import queries, services
from .forms import BulkActionForm, ContactForm, CustomerFilterForm, CustomerForm, MergeForm
from .models import Contact, Customer, SavedView, Tag
from .queries import COLUMNS


def _query_without(request, *dropped: str) -> str:
    """The list's query string minus some keys (paging, sort), for links that keep the rest."""
    return urlencode([(k, v) for k, vs in request.GET.lists() if k not in dropped for v in vs])


@require_GET
def customer_list(request):
    actor = request.user
    form = CustomerFilterForm(request.GET or None, actor=actor)
    params = form.params()
    columns = queries.parse_columns(request.GET.get("cols"))
    sort, _field, ascending = queries.parse_sort(request.GET.get("sort"))
    try:
        size = min(
            int(request.GET.get("size", settings.KEHU_PAGE_SIZE)), settings.KEHU_MAX_PAGE_SIZE
        )
    except ValueError:
        size = settings.KEHU_PAGE_SIZE
    page = queries.list_page(
        actor,
        params,
        sort=sort,
        columns=columns,
        size=max(size, 1),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    base_query = _query_without(request, "after", "before")
    context = {
        "form": form,
        "page": page,
        "columns": [COLUMNS[c] for c in columns],
        "column_keys": columns,
        "all_columns": COLUMNS.values(),
        "sort": sort,
        "sort_key": sort.lstrip("-"),
        "ascending": ascending,
        "base_query": base_query,
        "query_without_sort": _query_without(request, "after", "before", "sort"),
        "saved_views": SavedView.objects.filter(user=actor),
        "bulk_form": BulkActionForm(actor=actor),
        "can_reassign": access.can_reassign(actor),
        "read_only": actor.is_read_only,
        "tags": Tag.objects.all(),
        "filtered": bool(params),
        "unit": "wan" if request.GET.get("unit") == "wan" else "",
    }
    template = (
        "customers/partials/table.html"
        if request.htmx and not request.htmx.boosted
        else "customers/list.html"
    )
    return render(request, template, context)


@require_GET
def export_list(request):
    """The list as it is shown (filters, sort, columns) as .xlsx or CSV, every row of it."""
    form = CustomerFilterForm(request.GET or None, actor=request.user)
    columns, rows = customer_export.rows(
        request.user,
        form.params(),
        queries.parse_columns(request.GET.get("cols")),
        request.GET.get("sort"),
    )
    if request.GET.get("format") != "csv":
        request.GET = request.GET.copy()
        request.GET["format"] = "xlsx"
    return downloads.respond(request, str(_("customers")), columns, rows)


@require_POST
def bulk_action(request):
    form = BulkActionForm(request.POST, actor=request.user)
    back = request.POST.get("back", "")
    target = f"{redirect('customers:list').url}?{back}" if back else redirect("customers:list").url
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    data = form.cleaned_data
    try:
        if data["action"] == "assign":
            n = services.bulk_assign(request.user, data["ids"], data["owner"])
        elif data["action"] == "tag":
            n = services.bulk_add_tag(request.user, data["ids"], data["tag"])
        else:
            n = services.bulk_set_status(request.user, data["ids"], data["status"])
    except (access.AccessDenied, ValidationError) as exc:
        msg = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, msg)
    else:
        messages.success(
            request, ngettext("%(n)d customer updated.", "%(n)d customers updated.", n) % {"n": n}
        )
    return redirect(target)


@require_POST
def save_view(request):
    try:
        view = services.save_view(
            request.user, request.POST.get("name", ""), request.POST.get("query", "")
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(f"{redirect('customers:list').url}?{request.POST.get('query', '')}")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{redirect('customers:list').url}?{view.query}")


@require_POST
def delete_view(request, pk):
    services.delete_view(request.user, pk)
    return redirect("customers:list")


def customer_detail(request, pk):
    with access.reading_page(request.user):
        return _customer_page(request, pk)


def _customer_page(request, pk):
    customer = access.get_customer(request.user, pk)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "tags": customer.tags.all(),
            "collaborators": customer.collaborators.all(),
            "timeline": queries.timeline(request.user, customer),
            "can_edit": access.can_edit_customer(request.user, customer),
            "merge_form": MergeForm(),
            # the tier panel: why this tier, and the proposals made for it
            "explanation": tier_queries.explain_customer(request.user, customer),
            "proposals": tier_queries.proposals_of(request.user, customer),
            "tier_history": tier_queries.history_of(request.user, customer),
            "can_override": access.can_reassign(request.user),
            "tier_choices": Customer.TIERS,
            "contact_form": ContactForm(),
            # the follow-ups panel: log an interaction, what is planned
            "followups": followup_queries.open_followups_of(request.user, customer),
            "methods": Method.choices,
            "deals": pipeline_queries.deals_of_customer(request.user, customer),
            "today": timezone.localdate(),
            # purchases, satisfaction, feedback
            **customer_panels(request.user, customer),
            # service quotas: this period's allowances, log a use
            **quota_panels(request.user, customer),
        },
    )


def customer_create(request):
    actor = request.user
    if actor.is_read_only:
        raise Http404
    form = CustomerForm(request.POST or None, actor=actor, initial={"owner": actor.pk})
    contact_form = ContactForm(request.POST or None, prefix="contact")
    duplicates = []
    if request.method == "POST" and form.is_valid():
        has_contact = any(request.POST.get(f"contact-{f}") for f in ("name", "phone", "email"))
        contact_ok = contact_form.is_valid() if has_contact else True
        phones = [contact_form.data.get("contact-phone", "")] if has_contact else []
        emails = [contact_form.data.get("contact-email", "")] if has_contact else []
        duplicates = queries.find_duplicates(
            actor, name=form.cleaned_data["name"], phones=phones, emails=emails
        )
        if duplicates and not form.cleaned_data.get("confirm_duplicate"):
            form.add_error(
                None, _("This looks like a customer Kehu already has. Check the list below.")
            )
        elif contact_ok:
            try:
                customer = services.create_customer(
                    actor,
                    form.model_data(),
                    tags=form.cleaned_data.get("tags") or [],
                    collaborators=form.cleaned_data.get("collaborators") or [],
                    contacts=[contact_form.cleaned_data] if has_contact else [],
                    queue=form.cleaned_data.get("queue"),
                )
            except ValidationError as exc:
                _split_errors(exc, form, contact_form)
            else:
                messages.success(
                    request, _("Customer “%(name)s” created.") % {"name": customer.name}
                )
                return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "contact_form": contact_form, "duplicates": duplicates, "creating": True},
    )


def _split_errors(exc: ValidationError, form, contact_form):
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field in contact_form.fields:
            contact_form.add_error(field, errors)
        else:
            form.add_error(None, errors)


def customer_edit(request, pk):
    actor = request.user
    customer = access.get_customer(actor, pk, write=True)
    form = CustomerForm(request.POST or None, instance=customer, actor=actor)
    duplicates, stale = [], []
    if request.method == "POST" and form.is_valid():
        duplicates = (
            queries.find_duplicates(actor, name=form.cleaned_data["name"], exclude_pk=customer.pk)
            if "name" in form.changed_data
            else []
        )
        if duplicates and not form.cleaned_data.get("confirm_duplicate"):
            form.add_error(
                None,
                _("The new name looks like a customer Kehu already has. Check the list below."),
            )
        else:
            try:
                customer = services.update_customer(
                    actor, customer, form.model_data(), version=form.cleaned_data.get("version")
                )
                services.set_tags(actor, customer, form.cleaned_data.get("tags") or [])
                services.set_collaborators(
                    actor, customer, form.cleaned_data.get("collaborators") or []
                )
            except services.StaleEdit as exc:
                # Re-show what the user typed against the current record: the fields that
                # differ are listed with their current values, and a second save is a
                # deliberate overwrite of the newer version.
                data = request.POST.copy()
                data["version"] = exc.current.version
                # read the saved values first: validating the form copies the input onto
                # the instance
                saved = {n: _current_display(exc.current, n) for n in CustomerForm.Meta.fields}
                form = CustomerForm(data, instance=exc.current, actor=actor)
                form.is_valid()
                form.add_error(None, str(exc))
                stale = [
                    (form.fields[name].label, saved[name])
                    for name in form.changed_data
                    if name in CustomerForm.Meta.fields
                ]
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "customer": customer,
            "duplicates": duplicates,
            "creating": False,
            "stale": stale,
        },
    )


def _current_display(customer, name):
    return audit.display_value(customer, customer._meta.get_field(name))


@require_GET
def duplicate_check(request):
    """HTMX: likely duplicates while the name is being typed."""
    name = request.GET.get("name", "")
    exclude = request.GET.get("exclude")
    duplicates = (
        queries.find_duplicates(
            request.user,
            name=name,
            exclude_pk=int(exclude) if exclude and exclude.isdigit() else None,
        )
        if len(name.strip()) >= 2
        else []
    )
    return render(request, "customers/partials/duplicates.html", {"duplicates": duplicates})


def contact_add(request, pk):
    customer = access.get_customer(request.user, pk, write=True)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_contact(request.user, customer, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


def contact_edit(request, pk, contact_pk):
    customer = access.get_customer(request.user, pk, write=True)
    contact = get_object_or_404(Contact, pk=contact_pk, customer=customer)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(request.user, contact, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": contact},
    )


@require_POST
def contact_delete(request, pk, contact_pk):
    customer = access.get_customer(request.user, pk, write=True)
    contact = get_object_or_404(Contact, pk=contact_pk, customer=customer)
    services.delete_contact(request.user, contact)
    messages.success(request, _("Contact deleted."))
    return redirect("customers:detail", pk=customer.pk)


def customer_merge(request, pk):
    """GET ?other=N shows both side by side; POST merges `other` into this customer."""
    actor = request.user
    keep = access.get_customer(actor, pk, write=True)
    form = MergeForm(request.POST or request.GET or None)
    other = None
    if form.is_bound and form.is_valid():
        if form.cleaned_data["other"] == keep.pk:
            form.add_error("other", _("A customer cannot be merged into itself."))
        else:
            other = access.get_customer(actor, form.cleaned_data["other"], write=True)
            if request.method == "POST":
                try:
                    keep = services.merge_customers(actor, keep, other)
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _("“%(other)s” was merged into this customer; its records now belong here.")
                        % {"other": other.name},
                    )
                    return redirect("customers:detail", pk=keep.pk)
    return render(
        request,
        "customers/merge.html",
        {
            "customer": keep,
            "other": other,
            "form": form,
            "fields": [(keep._meta.get_field(f).verbose_name, f) for f in keep.AUDITED_FIELDS],
            "other_contacts": other.contacts.all() if other else [],
        },
    )
