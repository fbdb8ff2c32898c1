"""Importing the customer base table: a dry run that says, per row, what would happen and what
is wrong, then a commit that writes all of it or none, recorded as a batch that can be undone.

The dry run and the commit run the same analysis, so the commit does exactly what was shown
(with the person's choices applied). Writes are set-based (core.bulk: `executemany` on
SQLite, COPY on PostgreSQL) in one transaction: 100,000 rows take seconds, not minutes.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core import leases
from kehu.core.bulk import (
    id_table,
    in_values,
    insert_rows,
    local_datetimes,
    overlapped,
    paused_gc,
    reserve_ids,
    staged,
    update_from,
)
from kehu.core.models import AuditEvent
from kehu.core.text import bulk_pinyin_reader, name_key, search_document
from kehu.customers.models import Channel, Contact, Customer, CustomerTag, Industry, Tag
from kehu.customers.search import indexed_after_insert
from kehu.webhooks import events as webhooks

from .customer_rows import CUSTOMER_FIELDS, CustomerRowReader, ParsedRow, decode_rows
from .models import (
    RECORD_COLUMNS,
    ImportBatch,
    ImportContent,
    ImportRecord,
    created_ids,
    record_rows,
)
from .reader import read_rows

CHUNK = 900  # ids or keys per IN (…): under every database's parameter limit

# What happens to a row, by what the dry run found; the person may change each default.
NEW, MATCHED, DUPLICATE, IN_FILE, ERROR, UNCHANGED = (
    "new",
    "matched",
    "duplicate",
    "in_file",
    "error",
    "unchanged",
)
CREATE, UPDATE, SKIP = "create", "update", "skip"
DEFAULT_CHOICES = {NEW: CREATE, MATCHED: UPDATE, DUPLICATE: SKIP, IN_FILE: SKIP, ERROR: SKIP}
ALLOWED = {
    NEW: {CREATE, SKIP},
    MATCHED: {UPDATE, CREATE, SKIP},
    DUPLICATE: {CREATE, SKIP},
    IN_FILE: {CREATE, SKIP},
    ERROR: {SKIP},
    UNCHANGED: {SKIP},
}

# database columns of the customer fields the sheet fills
DB_COLUMN = {"industry": "industry_id", "channel": "channel_id", "owner": "owner_id"}


class ImportRefused(Exception):
    """The commit cannot go ahead; the message says why and what to do."""


@dataclass
class RowPlan:
    row: ParsedRow
    category: str
    match_id: int | None = None
    match_label: str = ""  # who the match is: name and owner (never more for unseen ones)
    reason: str = ""
    changes: dict = field(default_factory=dict)  # field → (old, new) for updates
    action: str = SKIP


@dataclass
class Analysis:
    plans: list[RowPlan]
    current: dict  # customer id → its stored values (matched rows)
    contacts: dict  # customer id → its primary contact's values

    def counts(self) -> dict:
        by_category = Counter(p.category for p in self.plans)
        by_action = Counter(p.action for p in self.plans)
        return {
            "rows": len(self.plans),
            **{
                k: by_category.get(k, 0)
                for k in (NEW, MATCHED, DUPLICATE, IN_FILE, ERROR, UNCHANGED)
            },
            **{f"to_{k}": by_action.get(k, 0) for k in (CREATE, UPDATE, SKIP)},
        }


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def data_rows(batch: ImportBatch, rows=None) -> Iterable[tuple[int, list]]:
    """(spreadsheet row number, cells) of every non-blank row under the header; `rows`: the
    file's rows when the caller has read them already."""
    header_row = batch.mapping["header_row"]
    if rows is None:
        rows = read_rows(bytes(batch.content.data), batch.filename)
    for index, cells in enumerate(rows):
        if index <= header_row:
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        yield index + 1, cells


def analyse(
    actor,
    batch: ImportBatch,
    choices: dict | None = None,
    progress=None,
    *,
    reuse=False,
    rows=None,
) -> Analysis:
    """Reads every row, finds what each one matches, and decides its action from `choices`
    (category → action, and "rows": {number: action} for single rows). With `reuse`, the rows
    the dry run parsed are read back instead of the file (matching is always done afresh)."""
    if batch.kind != "customers":
        from .records import IMPORTERS

        return IMPORTERS[batch.kind](actor, batch.mapping).analyse(batch, choices, progress, rows)
    with paused_gc():
        return _analyse_customers(actor, batch, choices, progress, reuse, rows)


def _analyse_customers(actor, batch, choices, progress, reuse, rows) -> Analysis:
    reader = CustomerRowReader(actor, batch.mapping)
    # the kept rows only: the file itself is read again only when they cannot be used
    kept = None
    if reuse:
        kept = ImportContent.objects.filter(batch=batch).values_list("parsed", flat=True).first()
    parsed = decode_rows(bytes(kept), reader) if kept else None
    if parsed is None:
        parsed = []
        for count, (number, cells) in enumerate(data_rows(batch, rows), start=1):
            parsed.append(reader.read(number, cells))
            if progress and count % 10_000 == 0:
                progress(count)
    plans = _match(actor, parsed)
    current, contacts = _current_values(plans)
    _changes(plans, current, contacts, reader)
    _decide(plans, choices or {})
    return Analysis(plans, current, contacts)


def _match(actor, rows: list[ParsedRow]) -> list[RowPlan]:
    visible = access.visible_customers(actor)
    editable = access.editable_customers(actor)
    plans = [RowPlan(row, ERROR if row.problems else NEW) for row in rows]

    # 1. the customer number (an exported sheet coming back)
    ids = {p.row.key_id for p in plans if p.row.key_id and not p.row.problems}
    seen_ids, edit_ids = set(), set()
    if ids:
        listed = in_values(ids)
        seen_ids.update(visible.filter(pk__in=listed).values_list("pk", flat=True))
        edit_ids.update(editable.filter(pk__in=listed).values_list("pk", flat=True))
    for plan in plans:
        key = plan.row.key_id
        if not key or plan.category == ERROR:
            continue
        if key in edit_ids:
            plan.category, plan.match_id = MATCHED, key
        else:
            plan.category = ERROR
            plan.row.problems.append(
                _problem(
                    _("customer number"),
                    _("You cannot change customer %(id)s.")
                    if key in seen_ids
                    else _("There is no customer %(id)s that you can see."),
                    id=key,
                )
            )

    # 2. the same company name (name key), across the whole base: two reps must not chase one
    # company; customers the actor cannot see are named with their owner only
    pending = [p for p in plans if p.category == NEW]
    by_key: dict[str, list] = defaultdict(list)
    keys = [p.row.name_key for p in pending if p.row.name_key]
    if keys:
        for row in Customer.objects.filter(name_key__in=in_values(keys)).values(
            "pk", "name", "name_key", "owner__name", "owner__username"
        ):
            by_key[row["name_key"]].append(row)
    by_phone: dict[str, list] = defaultdict(list)
    phones = [p.row.contact["phone"] for p in pending if p.row.contact.get("phone")]
    if phones:
        for row in Contact.objects.filter(phone__in=in_values(phones)).values(
            "phone",
            "customer_id",
            "customer__name",
            "customer__owner__name",
            "customer__owner__username",
        ):
            by_phone[row["phone"]].append(
                {
                    "pk": row["customer_id"],
                    "name": row["customer__name"],
                    "owner__name": row["customer__owner__name"],
                    "owner__username": row["customer__owner__username"],
                }
            )
    candidate_ids = {c["pk"] for cs in (*by_key.values(), *by_phone.values()) for c in cs}
    edit_candidates = set()
    if candidate_ids:
        edit_candidates.update(
            editable.filter(pk__in=in_values(candidate_ids)).values_list("pk", flat=True)
        )

    first_row_of: dict[str, int] = {}
    for plan in plans:
        if plan.category == ERROR:
            continue
        key = plan.row.name_key
        if plan.category == NEW and key:
            earlier = first_row_of.get(key)
            if earlier is not None:
                plan.category = IN_FILE
                plan.reason = _("Same company as row %(row)s of this file.") % {"row": earlier}
                continue
        if key:
            first_row_of.setdefault(key, plan.row.number)
        if plan.category != NEW:
            continue
        found = [(c, _("same name")) for c in by_key.get(key, [])]
        if not found and plan.row.contact.get("phone"):
            found = [(c, _("same phone")) for c in by_phone.get(plan.row.contact["phone"], [])]
        if not found:
            continue
        mine = [(c, why) for c, why in found if c["pk"] in edit_candidates]
        match, why = (mine or found)[0]
        owner = match["owner__name"] or match["owner__username"] or _("the public pool")
        plan.match_label = _("%(name)s (owner: %(owner)s)") % {
            "name": match["name"],
            "owner": owner,
        }
        if mine:
            plan.category, plan.match_id = MATCHED, match["pk"]
            plan.reason = why
        else:
            plan.category = DUPLICATE
            plan.reason = _("Likely duplicate (%(why)s) of a customer you cannot change.") % {
                "why": why
            }
    return plans


def _problem(column, message, **params):
    from .customer_rows import RowProblem

    return RowProblem(str(column), message % params)


STORED = [
    "id",
    "version",
    "name",
    "kind",
    "industry__name",
    "province",
    "city",
    "size",
    "address",
    "channel__name",
    "status",
    "tier",
    "owner_id",
    "team_id",
    "core_needs",
    "product_preferences",
    "annual_budget",
    "cooperation_amount",
    "last_contact_at",
    "satisfaction",
    "notes",
    "industry_id",
    "channel_id",
]
CONTACT_STORED = ["id", "customer_id", "name", "title", "phone", "email", "wechat"]
CONTACT_KEYS = {
    "contact_name": "name",
    "contact_title": "title",
    "phone": "phone",
    "email": "email",
    "wechat": "wechat",
}


def _current_values(plans: list[RowPlan]) -> tuple[dict, dict]:
    ids = {p.match_id for p in plans if p.category == MATCHED}
    current, contacts = {}, {}
    if ids:
        listed = in_values(ids)
        for row in Customer.objects.filter(pk__in=listed).values(*STORED):
            current[row["id"]] = row
        for row in Contact.objects.filter(customer_id__in=listed, is_primary=True).values(
            *CONTACT_STORED
        ):
            contacts[row["customer_id"]] = row
    return current, contacts


def _stored(field_name: str, stored: dict):
    if field_name in ("industry", "channel"):
        return stored[f"{field_name}__name"]
    if field_name == "owner":
        return stored["owner_id"]
    return stored[field_name]


def _comparable(field_name: str, value):
    if field_name == "owner":
        return value.pk if value is not None else None
    if field_name == "last_contact_at" and value is not None:
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    return value


def _changes(plans, current, contacts, reader) -> None:
    """What an update would change: blank cells never wipe a stored value, and a row that
    changes nothing is left alone."""
    with_tags = {p.match_id for p in plans if p.category == MATCHED and p.row.tags}
    stored_tag_names: dict[int, set] = defaultdict(set)
    if with_tags:
        for cid, tag in CustomerTag.objects.filter(
            customer_id__in=in_values(with_tags)
        ).values_list("customer_id", "tag__name"):
            stored_tag_names[cid].add(tag)
    for plan in plans:
        if plan.category != MATCHED:
            continue
        stored = current.get(plan.match_id)
        if stored is None:  # deleted between the two reads
            plan.category = NEW
            continue
        for key, value in plan.row.values.items():
            old, new = _stored(key, stored), _comparable(key, value)
            if key == "last_contact_at" and old is not None:
                old = old.replace(second=0, microsecond=0)
                new = new.replace(second=0, microsecond=0)
            if old != new and not (old in (None, "") and new in (None, "")):
                plan.changes[key] = (old, new)
        contact = contacts.get(plan.match_id) or {}
        for key, value in plan.row.contact.items():
            if contact.get(CONTACT_KEYS[key]) != value:
                plan.changes[key] = (contact.get(CONTACT_KEYS[key]), value)
        if plan.row.tags:
            stored_tags = stored_tag_names.get(plan.match_id, set())
            if not set(plan.row.tags) <= stored_tags:
                plan.changes["tags"] = (sorted(stored_tags), plan.row.tags)
        owner = plan.row.values.get("owner")
        if "owner" in plan.changes and not (
            reader.can_reassign
            and owner.pk in reader.assignable
            and access.can_reassign_customer(reader.actor, Customer(team_id=stored["team_id"]))
        ):
            plan.category = ERROR
            plan.row.problems.append(
                _problem(_("owner"), _("You cannot assign customers to %(name)s."), name=owner)
            )
        elif "tier" in plan.changes and not reader.can_set_tier:
            plan.category = ERROR
            plan.row.problems.append(
                _problem(_("tier"), _("Tiers change through review: propose a change instead."))
            )
        elif not plan.changes:
            plan.category = UNCHANGED
    for plan in plans:
        owner = plan.row.values.get("owner")
        if plan.category == NEW and owner is not None and owner.pk not in reader.assignable:
            plan.category = ERROR
            plan.row.problems.append(
                _problem(_("owner"), _("You cannot assign customers to %(name)s."), name=owner)
            )
        if plan.category == NEW and "tier" in plan.row.values and not reader.can_set_tier:
            plan.category = ERROR
            plan.row.problems.append(
                _problem(_("tier"), _("Tiers change through review: propose a change instead."))
            )


def _decide(plans: list[RowPlan], choices: dict) -> None:
    per_row = {int(k): v for k, v in (choices.get("rows") or {}).items()}
    for plan in plans:
        wanted = per_row.get(plan.row.number) or choices.get(plan.category)
        default = DEFAULT_CHOICES.get(plan.category, SKIP)
        plan.action = wanted if wanted in ALLOWED[plan.category] else default


# --- commit ---------------------------------------------------------------------------------
def commit(actor, batch: ImportBatch, choices: dict) -> ImportBatch:
    """Checks the choices, then imports now (small sheets) or in the background worker."""
    access.require(not actor.is_read_only and batch.created_by_id == actor.pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ImportRefused(_("This file has already been imported."))
    errors = batch.summary.get(ERROR, 0)
    if errors and choices.get(ERROR) != SKIP:
        raise ImportRefused(
            _(
                "%(count)s rows have errors. Fix them in the file and upload it again, or "
                "choose to skip them."
            )
            % {"count": errors}
        )
    clean = {k: v for k, v in choices.items() if k in DEFAULT_CHOICES or k == "rows"}
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
        status=ImportBatch.Status.QUEUED, choices=clean
    )
    if not updated:
        raise ImportRefused(_("This file has already been imported."))
    batch.refresh_from_db()
    if batch.total > settings.KEHU_IMPORT_SYNC_ROWS:
        from .tasks import run_import

        transaction.on_commit(lambda: run_import.enqueue(batch.pk))
        return batch
    return execute(batch.pk)


def _lease(batch_id: int) -> str:
    return f"import-{batch_id}"


def execute(batch_id: int) -> ImportBatch:
    """Runs a queued import once (however many workers pick it up): all of it or none, marked
    done in the same transaction. A worker killed half-way leaves nothing written and the batch
    running without its lease: `recover_stale` queues it again."""
    with leases.holding(_lease(batch_id)) as held:
        if not held:  # another worker is importing it
            return ImportBatch.objects.select_related("created_by").get(pk=batch_id)
        return _execute(batch_id)


@leases.on_recovery
def recover_stale() -> int:
    """Queues again the imports whose process died while importing (`kehu worker` calls this
    on start): nothing of them was written, so they run again from the start."""
    from .tasks import run_import

    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING)
    requeued = 0
    for pk in running.values_list("pk", flat=True):
        if leases.alive(_lease(pk)):
            continue
        if ImportBatch.objects.filter(pk=pk, status=ImportBatch.Status.RUNNING).update(
            status=ImportBatch.Status.QUEUED, progress=0
        ):
            run_import.enqueue(pk)
            requeued += 1
    return requeued


def _execute(batch_id: int) -> ImportBatch:
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, progress=0
    )
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if not claimed:
        return batch
    actor = batch.created_by

    def progress(count):
        ImportBatch.objects.filter(pk=batch_id).update(progress=count)

    try:
        analysis = analyse(actor, batch, batch.choices, progress=progress, reuse=True)
        with transaction.atomic(), webhooks.muted():  # the batch raises import.finished only
            if batch.kind == "customers":
                summary = write(actor, batch, analysis)
            else:
                from .records import IMPORTERS

                summary = IMPORTERS[batch.kind](actor, batch.mapping).write(batch, analysis)
            # in the same transaction: rows written ⇔ batch done, whenever the process dies
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.DONE,
                summary={**batch.summary, **summary},
                progress=batch.total,
                committed_at=timezone.now(),
            )
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    batch.refresh_from_db()
    webhooks.emit("import.finished", webhooks.import_data(batch))  # never one per row
    return batch


def _db(value, tz=None):
    """A value as the raw cursor takes it on this database; naive datetimes (read from a
    sheet) are local time (`tz`, looked up once by bulk callers)."""
    if value is None:
        return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz or timezone.get_current_timezone())
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _lookup_ids(model, names: set[str]) -> dict[str, int]:
    """Ids of reference rows (industries, channels, tags) by name, creating the missing ones."""
    if not names:
        return {}
    found = dict(model.objects.filter(name__in=names).values_list("name", "pk"))
    missing = [model(name=n) for n in sorted(names - found.keys())]
    if missing:
        model.objects.bulk_create(missing)
        found.update(model.objects.filter(name__in=names).values_list("name", "pk"))
    return found


def write(actor, batch: ImportBatch, analysis: Analysis) -> dict:
    """Writes every planned create and update. Call inside a transaction."""
    with paused_gc():
        return _write(actor, batch, analysis)


def _write(actor, batch: ImportBatch, analysis: Analysis) -> dict:
    creates = [p for p in analysis.plans if p.action == CREATE]
    updates = [p for p in analysis.plans if p.action == UPDATE and p.changes]
    rows = [p.row for p in (*creates, *updates)]
    industries = _lookup_ids(
        Industry, {r.values["industry"] for r in rows if "industry" in r.values}
    )
    channels = _lookup_ids(Channel, {r.values["channel"] for r in rows if "channel" in r.values})
    tags = _lookup_ids(Tag, {t for r in rows for t in r.tags})
    refs = {"industry": industries, "channel": channels}
    now = timezone.now()
    created_ids = _create(actor, creates, refs, tags, now, _import_note(batch))
    updated = _update(actor, updates, analysis, refs, tags, now)
    insert_rows(
        ImportRecord._meta.db_table, RECORD_COLUMNS, record_rows(batch.pk, created_ids, updated)
    )
    return {"created": len(created_ids), "updated": len(updated)}


def _labels() -> dict[str, str]:
    meta = Customer._meta
    return {f: str(meta.get_field(f).verbose_name) for f in CUSTOMER_FIELDS}


def _shown(key, value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        if timezone.is_naive(value):  # parsed from the sheet: already the local time
            return value.strftime("%Y-%m-%d %H:%M")
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "quantize"):
        return f"{value:,.2f}"
    return str(value)


def _import_note(batch: ImportBatch) -> str:
    """The audit entry of a customer an import created: the file it came from (which the batch
    keeps), the same text for every row; its values are the customer's first state."""
    return json.dumps(
        [
            {
                "field": "import",
                "label": str(_("import")),
                "old": "",
                "new": f"{batch.filename} (#{batch.pk})",
            }
        ],
        ensure_ascii=False,
    )


WRITE_CHUNK = 10_000  # customers written at a time: a chunk is moved from its staging table,
# indexed and audited in a second thread while this one builds the next (kehu.core.bulk)

# a new customer's columns: its own, then those a sheet may fill (field, column, default), each
# written only when some row fills it (else it is one constant), and the import's (_stamped)
CUSTOMER_OWN = ["id", "name", "owner_id", "team_id", "name_key", "name_pinyin", "search_text"]
SHEET_COLUMNS = [
    ("kind", "kind", Customer.Kind.COMPANY.value),
    ("industry", "industry_id", None),
    ("province", "province", ""),
    ("city", "city", ""),
    ("size", "size", ""),
    ("address", "address", ""),
    ("channel", "channel_id", None),
    ("status", "status", Customer.Status.LEAD.value),
    ("tier", "tier", ""),
    ("core_needs", "core_needs", ""),
    ("product_preferences", "product_preferences", ""),
    ("annual_budget", "annual_budget", None),
    ("cooperation_amount", "cooperation_amount", "0"),
    ("last_contact_at", "last_contact_at", None),
    ("satisfaction", "satisfaction", None),
    ("notes", "notes", ""),
]
CONTACT_OWN = ["customer_id", "name", "title", "phone", "email", "wechat"]
TAG_LINK_COLUMNS = ["customer_id", "tag_id"]
_ABSENT = object()


def _stamped(stamp, actor_id: int) -> dict:
    return {
        "created_at": stamp,
        "updated_at": stamp,
        "created_by_id": actor_id,
        "updated_by_id": actor_id,
        "version": 1,
    }


def _contact_constants(stamp) -> dict:
    """The columns of a new contact an import never fills from the sheet (CONTACT_OWN the
    others)."""
    return {"phone2": "", "is_primary": True, "notes": "", "created_at": stamp, "updated_at": stamp}


def _sheet_columns(plans: list[RowPlan], refs: dict, local_time) -> tuple[list, dict]:
    """The sheet's columns that some row fills: [(field, column, default, store)], where store
    takes a row's value to what the column holds; and the others, column → default."""
    filled = {key for plan in plans for key in plan.row.values}
    store = {
        "industry": refs["industry"].get,
        "channel": refs["channel"].get,
        "annual_budget": str,
        "cooperation_amount": lambda amount: str(amount) if amount else "0",
        "last_contact_at": local_time,
    }
    varying = [
        (field_name, column, default, store.get(field_name))
        for field_name, column, default in SHEET_COLUMNS
        if field_name in filled
    ]
    fixed = {c: default for f, c, default in SHEET_COLUMNS if f not in filled}
    return varying, fixed


def _create(actor, plans: list[RowPlan], refs, tags, now, note: str) -> list[int]:
    """Inserts the new customers, their contacts, tag links and audit events."""
    if not plans:
        return []
    ids = reserve_ids(Customer._meta.db_table, len(plans))
    read_pinyin = bulk_pinyin_reader()
    can_reassign = access.can_reassign(actor)
    varying, fixed = _sheet_columns(plans, refs, local_datetimes())
    customer_rows, contact_rows, tag_rows = [], [], []
    stamp = _db(now)
    actor_id, owner_ids = actor.pk, {}
    with (
        indexed_after_insert(ids[0], ids[-1], by_caller=True) as fill_search,
        staged(
            Customer._meta.db_table,
            [*CUSTOMER_OWN, *(column for _f, column, _d, _s in varying)],
            {**fixed, **_stamped(stamp, actor_id)},
        ) as customers,
        staged(Contact._meta.db_table, CONTACT_OWN, _contact_constants(stamp)) as contacts,
        staged(CustomerTag._meta.db_table, TAG_LINK_COLUMNS) as links,
        overlapped() as background,  # (left first: the staging tables outlive its last chunk)
    ):

        def written(first: int, last: int, cursor) -> None:
            customers.move(cursor)
            fill_search(first, last, cursor)
            _audit_created(first, last, stamp, actor_id, note, cursor)
            contacts.move(cursor)
            links.move(cursor)

        for number, (cid, plan) in enumerate(zip(ids, plans, strict=True), start=1):
            row = plan.row
            v, c = row.values, row.contact
            get = v.get
            # as on the form: reps own what they create, and a blank owner means the importer
            owner = (get("owner") if can_reassign else None) or actor
            owner_id = owner_ids.get(id(owner))  # by identity: a model's hash asks for its pk
            if owner_id is None:
                owner_id = owner_ids[id(owner)] = (owner.id, owner.team_id)
            name = v["name"]
            pinyin = read_pinyin(name)
            phone = c.get("phone")
            extra = [x for x in (c.get("contact_name"), c.get("email")) if x]
            customer_rows.append(
                (
                    cid,
                    name,
                    *owner_id,
                    row.name_key[:100],
                    pinyin[0][:255],
                    search_document(name, [phone] if phone else (), extra, pinyin),
                    *[
                        default
                        if (value := get(f, _ABSENT)) is _ABSENT
                        else (value if store is None else store(value))
                        for f, _c, default, store in varying
                    ],
                )
            )
            if c:
                contact_rows.append(_new_contact(cid, c, name))
            if row.tags:
                tag_rows += [(cid, tags[t]) for t in row.tags]
            if len(customer_rows) == WRITE_CHUNK or number == len(plans):
                background.wait()  # the chunk before is written, indexed and audited
                customers.add(customer_rows)
                contacts.add(contact_rows)
                links.add(tag_rows)
                background.start(written, customer_rows[0][0], customer_rows[-1][0])
                customer_rows, contact_rows, tag_rows = [], [], []
    return ids


def _audit_created(first: int, last: int, stamp, actor_id: int, note: str, cursor) -> None:
    """The audit event of each customer just created, ids `first`…`last`: one set-based
    INSERT … SELECT (the same entry for every row, their names from the rows themselves), which
    runs in the database without the GIL while the next rows are built. The rows are told by
    their stamp and author too (PostgreSQL's ids come from a shared sequence)."""
    q = cursor.db.ops.quote_name
    columns = ", ".join(q(c) for c in AUDIT_COLUMNS)
    changes = "CAST(%s AS jsonb)" if cursor.db.vendor == "postgresql" else "%s"
    cursor.execute(
        f"INSERT INTO {q(AuditEvent._meta.db_table)} ({columns})"
        f" SELECT %s, %s, %s, %s, id, substr(name, 1, 200), id, {changes}"
        f" FROM {q(Customer._meta.db_table)} WHERE id BETWEEN %s AND %s AND created_at = %s"
        " AND created_by_id = %s ORDER BY id",
        [
            stamp,
            actor_id,
            AuditEvent.Action.CREATE.value,
            "customers.customer",
            note,
            first,
            last,
            stamp,
            actor_id,
        ],
    )


def _new_contact(customer_id: int, contact: dict, name: str) -> tuple:
    """A row's contact as a new primary contact (CONTACT_OWN), named by whatever the row gives:
    the contact's name, phone, e-mail, else the company's."""
    phone = contact.get("phone", "")
    return (
        customer_id,
        contact.get("contact_name") or phone or contact.get("email") or name[:50],
        contact.get("contact_title", ""),
        phone,
        contact.get("email", ""),
        contact.get("wechat", ""),
    )


def _dec(value):
    return None if value is None else str(value)


AUDIT_COLUMNS = [
    "at",
    "actor_id",
    "action",
    "model",
    "object_id",
    "object_repr",
    "customer_id",
    "changes",
]


def _audit(rows) -> None:
    insert_rows(
        AuditEvent._meta.db_table,
        AUDIT_COLUMNS,
        rows,
    )


def _update(actor, plans: list[RowPlan], analysis: Analysis, refs, tags, now) -> list:
    """Writes each matched row's changed fields; returns (id, new version, before) triples."""
    if not plans:
        return []
    from kehu.customers.services import AFTER_REASSIGN

    read_pinyin = bulk_pinyin_reader()
    labels = _labels()
    fields = sorted({k for p in plans for k in p.changes if k in CUSTOMER_FIELDS})
    columns = [DB_COLUMN.get(f, f) for f in fields]
    stamp = _db(now)
    rows, audit_rows, results, reassigned = [], [], [], defaultdict(list)
    contact_updates, contact_inserts, tag_rows, research = [], [], [], []
    for plan in plans:
        stored = analysis.current[plan.match_id]
        values, before, shown = [], {}, []
        for f, column in zip(fields, columns, strict=True):
            old = stored[column] if column in stored else stored[f]
            new = plan.row.values.get(f) if f in plan.changes else None
            if f not in plan.changes:
                values.append(_db_stored(old))
                continue
            if f in refs:
                new = refs[f][new]
            elif f == "owner":
                new = new.pk
                reassigned[new].append(plan.match_id)
            before[column] = _db_stored(old)
            values.append(_db(_dec(new) if hasattr(new, "quantize") else new))
            shown.append(
                {
                    "field": f,
                    "label": labels[f],
                    "old": _shown(f, plan.changes[f][0]),
                    "new": _shown(
                        f, plan.changes[f][1] if f != "owner" else plan.row.values["owner"]
                    ),
                }
            )
        name = plan.row.values.get("name", stored["name"])
        owner = plan.row.values.get("owner") if "owner" in plan.changes else None
        team_id = owner.team_id if owner else stored["team_id"]
        version = stored["version"] + 1
        before.update(
            {"name_key": None, "team_id": stored["team_id"], "version": stored["version"]}
        )
        pinyin = read_pinyin(name)
        rows.append(
            (
                plan.match_id,
                *values,
                name_key(name)[:100],
                pinyin[0][:255],
                team_id,
                version,
                stamp,
                actor.pk,
            )
        )
        if "name" in plan.changes or any(k in plan.changes for k in CONTACT_KEYS):
            research.append((plan.match_id, name, pinyin))
        contact_change = {
            CONTACT_KEYS[k]: plan.row.contact[k] for k in CONTACT_KEYS if k in plan.changes
        }
        if contact_change:
            existing = analysis.contacts.get(plan.match_id)
            if existing:
                contact_updates.append((existing, contact_change))
            else:
                c = plan.row.contact
                contact_inserts.append(
                    [
                        before,  # becomes the reserved id below
                        *_new_contact(plan.match_id, c, name),
                        *_contact_constants(stamp).values(),
                    ]
                )
            before["contact"] = analysis.contacts.get(plan.match_id) and {
                k: analysis.contacts[plan.match_id][k] for k in contact_change
            }
        if "tags" in plan.changes:
            old_tags = set(plan.changes["tags"][0])
            new_tags = [t for t in plan.row.tags if t not in old_tags]
            tag_rows += [(plan.match_id, tags[t]) for t in new_tags]
            before["tags_added"] = [tags[t] for t in new_tags]
            shown.append(
                {
                    "field": "tags",
                    "label": str(_("tags")),
                    "old": ", ".join(sorted(old_tags)),
                    "new": ", ".join(sorted(old_tags | set(new_tags))),
                }
            )
        if shown:
            audit_rows.append(
                (
                    stamp,
                    actor.pk,
                    AuditEvent.Action.UPDATE,
                    "customers.customer",
                    plan.match_id,
                    name[:200],
                    plan.match_id,
                    json.dumps(shown, ensure_ascii=False),
                )
            )
        results.append((plan.match_id, version, before))
    stamp_type = "timestamp with time zone" if connection.vendor == "postgresql" else "text"
    sql_types = {c: "text" for c in columns}
    for c in columns:
        if c in ("industry_id", "channel_id", "owner_id", "satisfaction"):
            sql_types[c] = "bigint"
        elif c in ("annual_budget", "cooperation_amount"):
            sql_types[c] = "numeric(14, 2)"
        elif c == "last_contact_at":
            sql_types[c] = stamp_type
    update_from(
        Customer._meta.db_table,
        [
            *((c, sql_types[c]) for c in columns),
            ("name_key", "text"),
            ("name_pinyin", "text"),
            ("team_id", "bigint"),
            ("version", "bigint"),
            ("updated_at", stamp_type),
            ("updated_by_id", "bigint"),
        ],
        rows,
    )
    if contact_updates:
        by_columns = defaultdict(list)
        for existing, change in contact_updates:
            by_columns[tuple(sorted(change))].append(
                (existing["id"], *(change[k] for k in sorted(change)))
            )
        for cols, crow in by_columns.items():
            update_from(Contact._meta.db_table, [(c, "text") for c in cols], crow)
    # a contact added to a customer that had none: its id is kept so that undo removes it
    for row, contact_id in zip(
        contact_inserts, reserve_ids(Contact._meta.db_table, len(contact_inserts)), strict=True
    ):
        row[0]["contact_added"] = contact_id
        row[0] = contact_id
    insert_rows(
        Contact._meta.db_table,
        ["id", *CONTACT_OWN, *_contact_constants(stamp)],
        contact_inserts,
    )
    insert_rows(CustomerTag._meta.db_table, TAG_LINK_COLUMNS, tag_rows)
    _refresh_search(research)
    _audit(audit_rows)
    for owner_id, ids in reassigned.items():
        for hook in AFTER_REASSIGN:
            hook(ids, owner_id)
    return results


def _refresh_search(items) -> None:
    """The search document of customers whose name or contacts changed, from all contacts."""
    if not items:
        return
    contacts = defaultdict(list)
    ids = in_values(i for i, _n, _p in items)
    for row in Contact.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "name", "phone", "phone2", "email"
    ):
        contacts[row[0]].append(row[1:])
    rows = []
    for cid, name, pinyin in items:
        phones, extra = [], []
        for cname, phone, phone2, email in contacts[cid]:
            phones += [phone, phone2]
            extra += [cname, email]
        rows.append((cid, search_document(name, phones, extra, pinyin)))
    update_from(Customer._meta.db_table, [("search_text", "text")], rows)


def _db_stored(value):
    if hasattr(value, "quantize"):
        return str(value)
    return _db(value)


# --- undo -----------------------------------------------------------------------------------
def undo(actor, batch: ImportBatch) -> ImportBatch:
    """Takes a committed import back: the customers it created are deleted (with their contacts
    and tags) and the ones it updated get their previous values. Refused, with nothing changed,
    when someone has worked on those customers since (an edit, an interaction, a deal …)."""
    access.require(actor.sees_everything and not actor.is_read_only)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.DONE:
            raise ImportRefused(_("Only a finished import can be undone."))
        if batch.kind != "customers":
            from .records import IMPORTERS, check_untouched

            check_untouched(batch)
            IMPORTERS[batch.kind](actor, batch.mapping).undo(batch)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.UNDONE, undone_at=timezone.now(), undone_by=actor
            )
            batch.refresh_from_db()
            return batch
        created = created_ids(batch)
        updated = list(
            batch.records.filter(action=ImportRecord.Action.UPDATE).values_list(
                "object_id", "version", "before"
            )
        )
        _check_untouched(created, updated)
        _restore(actor, updated)
        _delete(actor, created)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.UNDONE, undone_at=timezone.now(), undone_by=actor
        )
    batch.refresh_from_db()
    return batch


def _check_untouched(created: list[int], updated: list) -> None:
    versions = {cid: version for cid, version, _b in updated}
    versions.update(dict.fromkeys(created, 1))
    changed = 0
    ids = in_values(versions)
    for cid, version in Customer.objects.filter(pk__in=ids).values_list("pk", "version"):
        changed += version != versions[cid]
    worked = 0
    created_listed = in_values(created)
    skip = {Contact, CustomerTag, ImportRecord, AuditEvent}
    for rel in Customer._meta.related_objects:
        model = rel.related_model
        if rel.many_to_many or model in skip or not (rel.one_to_many or rel.one_to_one):
            continue
        if model._meta.auto_created:
            continue
        if created:
            lookup = {f"{rel.field.name}_id__in": created_listed}
            worked += model._default_manager.filter(**lookup).count()
    if changed or worked:
        raise ImportRefused(
            _(
                "Customers of this import have been worked on since (%(changed)s changed, "
                "%(worked)s records added to them): undoing it would lose that work."
            )
            % {"changed": changed, "worked": worked}
        )


def _restore(actor, updated: list) -> None:
    now = _db(timezone.now())
    by_columns = defaultdict(list)
    contact_rows, tag_ids, audit_rows, research = [], [], [], []
    for cid, version, before in updated:
        before = json.loads(before) if isinstance(before, str) else before
        contact = before.pop("contact", None)
        contact_added = before.pop("contact_added", None)
        if contact_added:
            Contact.objects.filter(pk=contact_added).delete()
        added = before.pop("tags_added", [])
        before.pop("name_key", None)
        before["version"] = version + 1
        cols = tuple(sorted(before))
        by_columns[cols].append((cid, *(before[c] for c in cols)))
        if contact:
            contact_rows.append((cid, contact))
        tag_ids += [(cid, t) for t in added]
        research.append(cid)
        audit_rows.append(
            (
                now,
                actor.pk,
                AuditEvent.Action.UPDATE,
                "customers.customer",
                cid,
                str(cid),
                cid,
                json.dumps(
                    [
                        {
                            "field": "import",
                            "label": str(_("import")),
                            "old": "",
                            "new": str(_("undone")),
                        }
                    ],
                    ensure_ascii=False,
                ),
            )
        )
    for cols, rows in by_columns.items():
        update_from(
            Customer._meta.db_table,
            [(c, _restore_type(c)) for c in cols],
            rows,
            constant={"updated_at": now, "updated_by_id": actor.pk},
        )
    for cid, contact in contact_rows:
        Contact.objects.filter(customer_id=cid, is_primary=True).update(**contact)
    for cid, tag_id in tag_ids:
        CustomerTag.objects.filter(customer_id=cid, tag_id=tag_id).delete()
    if research:
        names = dict(Customer.objects.filter(pk__in=research).values_list("pk", "name"))
        read_pinyin = bulk_pinyin_reader()
        update_from(
            Customer._meta.db_table,
            [("name_key", "text"), ("name_pinyin", "text")],
            [(cid, name_key(n)[:100], read_pinyin(n)[0][:255]) for cid, n in names.items()],
        )
        _refresh_search([(cid, n, read_pinyin(n)) for cid, n in names.items()])
    _audit(audit_rows)


def _restore_type(column: str) -> str:
    if column in ("industry_id", "channel_id", "owner_id", "team_id", "satisfaction", "version"):
        return "bigint"
    if column in ("annual_budget", "cooperation_amount"):
        return "numeric(14, 2)"
    if column == "last_contact_at" and connection.vendor == "postgresql":
        return "timestamp with time zone"
    return "text"


def _delete(actor, created: list[int]) -> None:
    if not created:
        return
    with id_table(created, "kehu_undo_ids") as ids, connection.cursor() as cursor:
        # the rows other apps keep per customer were checked empty by _check_untouched
        for model in (CustomerTag, Contact):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE customer_id IN (SELECT id FROM {ids})"
            )
        cursor.execute(f"DELETE FROM {Customer._meta.db_table} WHERE id IN (SELECT id FROM {ids})")
    # the trail stays: each removed customer gets a "deleted" event beside its history
    now = _db(timezone.now())
    _audit(
        (now, actor.pk, AuditEvent.Action.DELETE, "customers.customer", cid, str(cid), cid, "[]")
        for cid in created
    )
