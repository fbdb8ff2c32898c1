"""The customer list as a sheet: the list's filters, sort and columns, read from the actor's
visible set, with the customer number first so that the file, edited and imported again,
updates the same customers. Headers are the import's own, so the round trip maps itself."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from kehu.core.bulk import in_values
from kehu.customers import queries
from kehu.customers.models import Contact, Customer, CustomerTag

from . import export
from .kinds import CUSTOMERS

CHUNK = 2000


def _col(key: str, kind: str = export.TEXT) -> export.Column:
    spec = CUSTOMERS.column(key)
    choices = tuple(spec.choices()) if spec.choices else ()
    return export.Column(str(spec.label), spec.kind if kind == export.TEXT else kind, None, choices)


def sheet_columns(columns: list[str]) -> list[tuple[str, export.Column]]:
    """(value key, sheet column) pairs for the list's columns; the number always first."""
    out = [("id", _col("id"))]
    for key in columns:
        if key == "region":
            out += [("province", _col("province")), ("city", _col("city"))]
        elif key == "contact":
            out += [
                ("contact_name", _col("contact_name")),
                ("contact_title", _col("contact_title")),
            ]
        elif key in ("score",):
            out.append((key, export.Column(str(_("score")), export.NUMBER)))
        elif key in ("purchase_total", "purchase_count", "last_purchase_on", "first_purchase_on"):
            kind = {"purchase_total": export.MONEY, "purchase_count": export.INTEGER}
            out.append(
                (key, export.Column(str(queries.COLUMNS[key].label), kind.get(key, export.DATE)))
            )
        elif key == "team":
            out.append((key, export.Column(str(_("team")))))
        elif key in ("next_followup_at", "created_at", "updated_at"):
            out.append((key, export.Column(str(queries.COLUMNS[key].label), export.DATETIME)))
        else:
            out.append((key, _col(key)))
    return out


VALUE_FIELDS = {
    "id": "id",
    "name": "name",
    "tier": "tier",
    "score": "score",
    "status": "status",
    "industry": "industry__name",
    "province": "province",
    "city": "city",
    "channel": "channel__name",
    "owner": "owner__name",
    "team": "team__name",
    "cooperation_amount": "cooperation_amount",
    "annual_budget": "annual_budget",
    "last_contact_at": "last_contact_at",
    "next_followup_at": "next_followup_at",
    "satisfaction": "satisfaction",
    "purchase_total": "purchase_total",
    "purchase_count": "purchase_count",
    "last_purchase_on": "last_purchase_on",
    "first_purchase_on": "first_purchase_on",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def rows(actor, params: dict, columns: list[str], sort: str) -> tuple[list, Iterator[list]]:
    """(sheet columns, rows) of every customer the list shows, in its order; streamed in
    chunks so that memory stays flat whatever the count."""
    pairs = sheet_columns(columns)
    keys = [k for k, _c in pairs]
    _sort, field, ascending = queries.parse_sort(sort)
    order = [field if ascending else f"-{field}", "id" if ascending else "-id"]
    fields = [
        "id",
        *{VALUE_FIELDS[k] for k in keys if k in VALUE_FIELDS} - {"id"},
        "owner__username",
    ]
    qs = queries.filter_customers(actor, params).order_by(*order).values(*fields)
    status_label = {k: str(v) for k, v in Customer.Status.choices}
    getters = [_getter(k, status_label) for k in keys]
    want_contact = bool({"contact_name", "contact_title", "phone"} & set(keys))
    want_tags = "tags" in keys

    def generate():
        chunk = []
        for row in qs.iterator(chunk_size=CHUNK):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                yield from _emit(chunk)
                chunk = []
        if chunk:
            yield from _emit(chunk)

    def _emit(chunk):
        ids = in_values(r["id"] for r in chunk)
        contacts, tags = {}, {}
        if want_contact:
            for c in Contact.objects.filter(customer_id__in=ids, is_primary=True).values(
                "customer_id", "name", "title", "phone"
            ):
                contacts[c["customer_id"]] = c
        if want_tags:
            for cid, name in CustomerTag.objects.filter(customer_id__in=ids).values_list(
                "customer_id", "tag__name"
            ):
                tags.setdefault(cid, []).append(name)
        for r in chunk:
            contact = contacts.get(r["id"], {})
            yield [get(r, contact, tags) for get in getters]

    return [c for _k, c in pairs], generate()


def _getter(key: str, status_label: dict):
    """How column `key` reads from a customer row, its primary contact and the tag names."""
    if key == "status":
        return lambda r, contact, tags: status_label.get(r["status"], r["status"])
    if key == "owner":
        return lambda r, contact, tags: r["owner__name"] or r["owner__username"]
    if key in CONTACT_KEYS:
        field = CONTACT_KEYS[key]
        return lambda r, contact, tags: contact.get(field)
    if key == "tags":
        return lambda r, contact, tags: "、".join(sorted(tags.get(r["id"], [])))
    field = VALUE_FIELDS[key]
    return lambda r, contact, tags: r[field]


CONTACT_KEYS = {"contact_name": "name", "contact_title": "title", "phone": "phone"}
