"""Importing the sheets kept beside the customer base: the interaction log (跟进记录), the
follow-up plan (表2 客户跟进计划表) and deals. Each row names its customer by number or exact
name among the customers the importer may change; the same dry run, choices, all-or-nothing
commit and undo as the customer import (importer.py), one small class per sheet.

Interactions and planned follow-ups are history people bring along, so they are written as
they are (set-based), not "logged now": an imported call does not complete today's plan, and
a follow-up done last year stays done. Customers' last contact moves forward to the latest
imported interaction. Deals go through pipeline.services one by one (a few hundred rows),
so stage history, milestones and won customers follow the same rules as in the board.
"""

import json
from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core.bulk import in_values, insert_rows, reserve_ids, update_from
from kehu.core.text import clean_text, name_key
from kehu.customers.models import Channel, Contact, Customer

from . import parse
from .customer_rows import ParsedRow, RowProblem
from .importer import (
    ERROR,
    MATCHED,
    NEW,
    UNCHANGED,
    Analysis,
    ImportRefused,
    RowPlan,
    _chunks,
    _db,
    _decide,
    data_rows,
)
from .kinds import FOLLOWUPS, IGNORE, INTERACTIONS, KINDS
from .models import RECORD_COLUMNS, ImportBatch, ImportRecord, created_ids, record_rows
from .reader import header_unit


def _options(choices, extra=None) -> dict[str, str]:
    table = {}
    for value, label in choices:
        table[value.lower()] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                table[clean_text(str(label)).lower()] = value
    table.update(extra or {})
    return table


class RecordImport:
    """One sheet kind. Subclasses say how a cell is read, what an existing record is, and
    how rows are written and undone."""

    kind = None
    model = None
    UPDATABLE: tuple[str, ...] = ()

    def __init__(self, actor, mapping: dict):
        self.actor = actor
        headers = mapping["headers"]
        self.columns = [
            (i, f, headers[i] if i < len(headers) else "")
            for i, f in enumerate(mapping["fields"])
            if f and f != IGNORE
        ]
        self.units = {f: header_unit(h) for _i, f, h in self.columns}
        self._users = None
        self.assignable = set(access.assignable_owners(actor).values_list("pk", flat=True))

    # --- reading --------------------------------------------------------------------------
    def read(self, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number)
        for index, key, header in self.columns:
            value = cells[index] if index < len(cells) else None
            if parse.is_blank(value):
                continue
            try:
                if key == "id":
                    row.key_id = parse.parse_int(value, low=1)
                elif key == "customer_id":
                    row.values[key] = parse.parse_int(value, low=1)
                else:
                    row.values[key] = self.read_cell(key, value)
            except ValueError as exc:
                row.problems.append(RowProblem(header, str(exc)))
        if row.key_id is None:
            if not ({"customer_id", "customer"} & row.values.keys()):
                row.problems.append(
                    RowProblem(str(_("customer name")), _("Name the customer (or its number)."))
                )
            for key in self.kind.required:
                if key not in row.values:
                    label = str(self.kind.column(key).label)
                    row.problems.append(RowProblem(label, _("This column is required.")))
        return row

    def read_cell(self, key: str, value):
        return parse.text(value)

    def user(self, value) -> User:
        if self._users is None:
            table, names = {}, defaultdict(list)
            for user in User.objects.filter(is_active=True).only(
                "id", "username", "name", "team_id"
            ):
                table[user.username.lower()] = user
                if user.name:
                    names[user.name.lower()].append(user)
            for name, users in names.items():
                table.setdefault(name, users[0] if len(users) == 1 else None)
            self._users = table
        login = parse.text(value).lower()
        user = self._users.get(login)
        if user is None:
            if login in self._users:
                raise ValueError(
                    _("Two people are called “%(name)s”: write the login instead.")
                    % {"name": parse.text(value)}
                )
            raise ValueError(_("There is nobody called “%(name)s”.") % {"name": parse.text(value)})
        return user

    # --- matching -------------------------------------------------------------------------
    def analyse(self, batch: ImportBatch, choices=None, progress=None, cells_read=None) -> Analysis:
        """`cells_read`: the file's rows, when the caller has read them already."""
        rows = []
        for count, (number, cells) in enumerate(data_rows(batch, cells_read), start=1):
            rows.append(self.read(number, cells))
            if progress and count % 10_000 == 0:
                progress(count)
        plans = [RowPlan(row, ERROR if row.problems else NEW) for row in rows]
        self._customers(plans)
        self._existing(plans)
        for plan in plans:
            if plan.category == ERROR:
                continue
            self.check(plan)
        _decide(plans, choices or {})
        return Analysis(plans, {}, {})

    def _customers(self, plans: list[RowPlan]) -> None:
        """Each row's customer, among those the actor may change (never revealing others)."""
        editable = access.editable_customers(self.actor)
        ids = {p.row.values["customer_id"] for p in plans if "customer_id" in p.row.values}
        found_ids = set()
        if ids:
            found_ids.update(editable.filter(pk__in=in_values(ids)).values_list("pk", flat=True))
        keys = {name_key(p.row.values["customer"]) for p in plans if "customer" in p.row.values}
        by_key = defaultdict(list)
        if keys:
            for pk, key in editable.filter(name_key__in=in_values(keys)).values_list(
                "pk", "name_key"
            ):
                by_key[key].append(pk)
        for plan in plans:
            if plan.category == ERROR or plan.row.key_id is not None:
                continue
            values = plan.row.values
            column = str(_("customer name"))
            if "customer_id" in values:
                if values["customer_id"] not in found_ids:
                    plan.category = ERROR
                    plan.row.problems.append(
                        RowProblem(
                            str(_("customer number")),
                            _("There is no customer %(id)s that you can change.")
                            % {"id": values["customer_id"]},
                        )
                    )
                continue
            matches = by_key.get(name_key(values["customer"]), [])
            if len(matches) == 1:
                values["customer_id"] = matches[0]
            else:
                plan.category = ERROR
                plan.row.problems.append(
                    RowProblem(
                        column,
                        _(
                            "Several of your customers are called “%(name)s”: add the customer number."
                        )
                        % {"name": values["customer"]}
                        if matches
                        else _("You have no customer called “%(name)s”.")
                        % {"name": values["customer"]},
                    )
                )

    def _existing(self, plans: list[RowPlan]) -> None:
        """Rows naming a record by its number update it (if the actor may change it)."""
        ids = {p.row.key_id for p in plans if p.row.key_id and p.category != ERROR}
        current = {}
        visible_customers = access.editable_customers(self.actor).values("pk")
        if ids:
            for row in self.model.objects.filter(
                pk__in=in_values(ids), customer_id__in=visible_customers
            ).values("pk", "customer_id", *self.UPDATABLE):
                current[row["pk"]] = row
        self.current = current
        for plan in plans:
            if not plan.row.key_id or plan.category == ERROR:
                continue
            stored = current.get(plan.row.key_id)
            if stored is None:
                plan.category = ERROR
                plan.row.problems.append(
                    RowProblem(
                        str(self.kind.column("id").label),
                        _("There is no record %(id)s that you can change.")
                        % {"id": plan.row.key_id},
                    )
                )
                continue
            plan.match_id = plan.row.key_id
            plan.row.values.setdefault("customer_id", stored["customer_id"])
            for key in self.UPDATABLE:
                if key in plan.row.values and _same(stored[key], plan.row.values[key]) is False:
                    plan.changes[key] = (stored[key], plan.row.values[key])
            plan.category = MATCHED if plan.changes else UNCHANGED

    def check(self, plan: RowPlan) -> None:
        """Rules on a whole row (an owner the actor may assign, a stage's lost reason …)."""

    # --- writing --------------------------------------------------------------------------
    def write(self, batch: ImportBatch, analysis: Analysis) -> dict:
        raise NotImplementedError

    def record(self, batch, created: list[int], updated: list[tuple[int, dict]]) -> None:
        insert_rows(
            ImportRecord._meta.db_table,
            RECORD_COLUMNS,
            record_rows(batch.pk, created, [(pk, 1, before) for pk, before in updated]),
        )

    def undo(self, batch: ImportBatch) -> None:
        created = created_ids(batch)
        for chunk in _chunks(created):
            self.model.objects.filter(pk__in=chunk).delete()
        for pk, before in batch.records.filter(action=ImportRecord.Action.UPDATE).values_list(
            "object_id", "before"
        ):
            before = json.loads(before) if isinstance(before, str) else before
            self.model.objects.filter(pk=pk).update(**before)


def _same(old, new):
    if isinstance(new, datetime) and timezone.is_naive(new):
        new = timezone.make_aware(new)
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old.replace(second=0, microsecond=0) == new.replace(second=0, microsecond=0)
    return old == new


def _stamp(value):
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class InteractionImport(RecordImport):
    kind = INTERACTIONS
    UPDATABLE = ("at", "method", "content", "feedback", "next_step", "next_on")

    def __init__(self, actor, mapping):
        super().__init__(actor, mapping)
        from kehu.followups.models import Interaction, Method

        self.model = Interaction
        self.methods = _options(
            Method.choices,
            {"面访": "meeting", "拜访客户": "visit", "打电话": "phone", "视频": "video"},
        )

    def read_cell(self, key, value):
        if key == "at":
            return parse.parse_datetime(value)
        if key == "next_on":
            return parse.parse_date(value)
        if key == "method":
            return parse.choice(value, self.methods)
        if key == "user":
            return self.user(value)
        return str(value).strip() if isinstance(value, str) else parse.text(value)

    def check(self, plan):
        values = plan.row.values
        user = values.get("user")
        others = user is not None and user.pk != self.actor.pk and user.pk not in self.assignable
        if plan.match_id is None and others:
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("user").label),
                    _("You cannot record interactions for %(name)s.") % {"name": user},
                )
            )
        if plan.match_id is None and "at" in values and _stamp(values["at"]) > timezone.now():
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("at").label), _("An interaction cannot be in the future.")
                )
            )

    def write(self, batch, analysis):
        from kehu.followups.models import Interaction, Method

        creates = [p for p in analysis.plans if p.action == "create"]
        updates = [p for p in analysis.plans if p.action == "update" and p.changes]
        customer_ids = sorted({p.row.values["customer_id"] for p in creates})
        contacts, deals = self._contacts(customer_ids), self._deals(customer_ids)
        now = timezone.now()
        ids = reserve_ids(Interaction._meta.db_table, len(creates))
        rows, latest = [], {}
        for pk, plan in zip(ids, creates, strict=True):
            v = plan.row.values
            cid = v["customer_id"]
            at = _stamp(v.get("at")) or now
            rows.append(
                (
                    pk,
                    cid,
                    contacts.get((cid, clean_text(v.get("contact", "")).lower())),
                    (v.get("user") or self.actor).pk,
                    _db(at),
                    v.get("method", Method.OTHER),
                    v.get("content", ""),
                    v.get("feedback", ""),
                    v.get("next_step", ""),
                    v.get("next_on"),
                    deals.get((cid, clean_text(v.get("deal", "")).lower())),
                    _db(now),
                )
            )
            latest[cid] = max(at, latest.get(cid, at))
        insert_rows(
            Interaction._meta.db_table,
            [
                "id",
                "customer_id",
                "contact_id",
                "user_id",
                "at",
                "method",
                "content",
                "feedback",
                "next_step",
                "next_on",
                "deal_id",
                "created_at",
            ],
            rows,
        )
        updated = []
        for plan in updates:
            before = {k: plan.changes[k][0] for k in plan.changes}
            Interaction.objects.filter(pk=plan.match_id).update(
                **{k: _stamp(new) for k, (_old, new) in plan.changes.items()}
            )
            updated.append((plan.match_id, before))
            at = _stamp(plan.row.values.get("at"))
            if at is not None:
                latest[plan.row.values["customer_id"]] = max(
                    at, latest.get(plan.row.values["customer_id"], at)
                )
        moved = self._move_last_contact(latest)
        batch.summary["last_contact_before"] = moved
        ImportBatch.objects.filter(pk=batch.pk).update(summary=batch.summary)
        self.record(batch, ids, updated)
        return {"created": len(ids), "updated": len(updated)}

    def _contacts(self, customer_ids):
        table = {}
        listed = in_values(customer_ids)
        for pk, cid, name in Contact.objects.filter(customer_id__in=listed).values_list(
            "pk", "customer_id", "name"
        ):
            table.setdefault((cid, clean_text(name).lower()), pk)
        return table

    def _deals(self, customer_ids):
        from kehu.pipeline.models import Deal

        table = {}
        listed = in_values(customer_ids)
        for pk, cid, title in Deal.objects.filter(customer_id__in=listed).values_list(
            "pk", "customer_id", "title"
        ):
            table.setdefault((cid, clean_text(title).lower()), pk)
        return table

    def _move_last_contact(self, latest: dict) -> dict:
        """Customers' last contact moves forward to their latest imported interaction; the
        values it had are returned (for undo)."""
        before, rows = {}, []
        for pk, old in Customer.objects.filter(pk__in=in_values(latest)).values_list(
            "pk", "last_contact_at"
        ):
            if old is None or old < latest[pk]:
                before[str(pk)] = _db(old) if old is not None else None
                rows.append((pk, _db(latest[pk])))
        stamp = "timestamp with time zone" if connection.vendor == "postgresql" else "text"
        update_from(Customer._meta.db_table, [("last_contact_at", stamp)], rows)
        return before

    def undo(self, batch):
        super().undo(batch)
        before = batch.summary.get("last_contact_before") or {}
        stamp = "timestamp with time zone" if connection.vendor == "postgresql" else "text"
        update_from(
            Customer._meta.db_table,
            [("last_contact_at", stamp)],
            [(int(pk), value) for pk, value in before.items()],
        )


class FollowUpImport(RecordImport):
    kind = FOLLOWUPS
    UPDATABLE = ("due_on", "method", "content", "status", "result", "owner_id")

    def __init__(self, actor, mapping):
        super().__init__(actor, mapping)
        from kehu.followups.models import FollowUp, Method

        self.model = FollowUp
        self.methods = _options(Method.choices, {"打电话": "phone", "视频": "video"})
        self.statuses = _options(
            FollowUp.Status.choices,
            {
                "待完成": "todo",
                "未完成": "todo",
                "待跟进": "todo",
                "已完成": "done",
                "完成": "done",
                "进行中": "doing",
                "跟进中": "doing",
                "已取消": "cancelled",
                "取消": "cancelled",
            },
        )

    def read_cell(self, key, value):
        if key == "due_on":
            return parse.parse_date(value)
        if key == "method":
            return parse.choice(value, self.methods)
        if key == "status":
            return parse.choice(value, self.statuses)
        if key == "owner":
            return self.user(value)
        if key == "content":
            return parse.text(value)[:200]
        return str(value).strip() if isinstance(value, str) else parse.text(value)

    def read(self, number, cells):
        row = super().read(number, cells)
        v = row.values
        if "owner" in v:
            v["owner_id"] = v.pop("owner").pk
        if v.get("next_step"):
            step = _("Next step: %(step)s") % {"step": v.pop("next_step")}
            v["result"] = f"{v['result']}\n{step}" if v.get("result") else step
        return row

    def check(self, plan):
        owner_id = plan.row.values.get("owner_id")
        changed = plan.match_id is None or "owner_id" in plan.changes
        if owner_id and owner_id != self.actor.pk and changed and owner_id not in self.assignable:
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("owner").label),
                    _("You cannot plan follow-ups for this person."),
                )
            )

    def write(self, batch, analysis):
        from kehu.followups import services as followup_services
        from kehu.followups.models import FollowUp, Method

        creates = [p for p in analysis.plans if p.action == "create"]
        updates = [p for p in analysis.plans if p.action == "update" and p.changes]
        now = _db(timezone.now())
        ids = reserve_ids(FollowUp._meta.db_table, len(creates))
        rows = []
        for pk, plan in zip(ids, creates, strict=True):
            v = plan.row.values
            status = v.get("status", FollowUp.Status.TODO)
            rows.append(
                (
                    pk,
                    v["customer_id"],
                    v.get("owner_id") or self.actor.pk,
                    v["due_on"],
                    v.get("method", Method.PHONE),
                    v.get("content", ""),
                    status,
                    v.get("result", ""),
                    FollowUp.Origin.MANUAL,
                    now,
                    now if status == FollowUp.Status.DONE else None,
                )
            )
        insert_rows(
            FollowUp._meta.db_table,
            [
                "id",
                "customer_id",
                "owner_id",
                "due_on",
                "method",
                "content",
                "status",
                "result",
                "origin",
                "created_at",
                "done_at",
            ],
            rows,
        )
        updated = []
        for plan in updates:
            before = {k: plan.changes[k][0] for k in plan.changes}
            FollowUp.objects.filter(pk=plan.match_id).update(
                **{k: new for k, (_old, new) in plan.changes.items()}
            )
            updated.append((plan.match_id, before))
        followup_services.sync_next_followup(
            {
                p.row.values["customer_id"]
                for p in analysis.plans
                if p.action in ("create", "update")
            }
        )
        self.record(batch, ids, updated)
        return {"created": len(ids), "updated": len(updated)}

    def undo(self, batch):
        from kehu.followups import services as followup_services

        updated = batch.records.filter(action=ImportRecord.Action.UPDATE)
        ids = created_ids(batch) + list(updated.values_list("object_id", flat=True))
        customers = set(
            self.model.objects.filter(pk__in=in_values(ids)).values_list("customer_id", flat=True)
        )
        super().undo(batch)
        followup_services.sync_next_followup(customers)


class DealImport(RecordImport):
    """Deals through pipeline.services, row by row: the same rules as the board."""

    kind = KINDS["deals"]
    UPDATABLE = (
        "title",
        "amount",
        "expected_close",
        "stage_id",
        "probability",
        "products",
        "competitor",
        "lost_reason",
        "owner_id",
        "channel_id",
    )

    def __init__(self, actor, mapping):
        super().__init__(actor, mapping)
        from kehu.pipeline import services as pipeline_services
        from kehu.pipeline.models import Deal, Stage

        pipeline_services.ensure_default_stages()
        self.model = Deal
        self.stages = {clean_text(s.name).lower(): s for s in Stage.objects.filter(active=True)}

    def read_cell(self, key, value):
        if key == "amount":
            return parse.parse_amount(value, unit_wan="万" in self.units.get(key, ""))
        if key == "expected_close":
            return parse.parse_date(value)
        if key == "probability":
            if isinstance(value, float) and 0 < value < 1:  # a percentage cell: 0.6 is 60%
                return round(value * 100)
            return parse.parse_int(parse.text(value).rstrip("%％"), low=0, high=100)
        if key == "stage":
            stage = self.stages.get(parse.text(value).lower())
            if stage is None:
                raise ValueError(
                    _("“%(value)s” is not a stage (%(stages)s).")
                    % {
                        "value": parse.text(value),
                        "stages": "、".join(s.name for s in self.stages.values()),
                    }
                )
            return stage
        if key == "owner":
            return self.user(value)
        if key == "channel":
            return parse.text(value)[:50]
        return parse.text(value)

    def read(self, number, cells):
        row = super().read(number, cells)
        v = row.values
        if "stage" in v:
            v["stage_id"] = v["stage"].pk
        if "owner" in v:
            v["owner_id"] = v["owner"].pk
        return row

    def check(self, plan):
        from kehu.pipeline.models import Stage

        v = plan.row.values
        stage = v.get("stage")
        new_row = plan.match_id is None
        lost = stage is not None and stage.kind == Stage.Kind.LOST and not v.get("lost_reason")
        if lost and (new_row or "stage_id" in plan.changes):
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("lost_reason").label), _("Say why the deal was lost.")
                )
            )
        owner = v.get("owner")
        others = owner is not None and owner.pk != self.actor.pk and owner.pk not in self.assignable
        if others and (new_row or "owner_id" in plan.changes):
            plan.category = ERROR
            plan.row.problems.append(
                RowProblem(
                    str(self.kind.column("owner").label),
                    _("You cannot give deals to this person."),
                )
            )

    def write(self, batch, analysis):
        from kehu.pipeline import services as pipeline_services

        channels = {}
        created, updated = [], []
        for plan in analysis.plans:
            if plan.action not in ("create", "update") or (
                plan.action == "update" and not plan.changes
            ):
                continue
            v = dict(plan.row.values)
            data = {
                k: v[k]
                for k in (
                    "title",
                    "amount",
                    "expected_close",
                    "products",
                    "competitor",
                    "probability",
                    "lost_reason",
                )
                if k in v
            }
            if "owner" in v:
                data["owner"] = v["owner"]
            if "channel" in v:
                if v["channel"] not in channels:
                    channels[v["channel"]], _c = Channel.objects.get_or_create(name=v["channel"])
                data["channel"] = channels[v["channel"]]
            customer = Customer(pk=v["customer_id"])
            if plan.action == "create":
                if "stage" in v:
                    data["stage"] = v["stage"]
                deal = pipeline_services.create_deal(self.actor, customer, data)
                created.append(deal.pk)
            else:
                deal = self.model.objects.get(pk=plan.match_id)
                before = {k: plan.changes[k][0] for k in plan.changes}
                if set(plan.changes) - {"stage_id"}:
                    merged = {
                        **{
                            k: getattr(deal, k)
                            for k in ("title", "amount", "expected_close", "products", "competitor")
                        },
                        **data,
                    }
                    merged.setdefault("channel", deal.channel)
                    deal = pipeline_services.update_deal(self.actor, deal, merged)
                    if "owner_id" in plan.changes:
                        self.model.objects.filter(pk=deal.pk).update(
                            owner_id=v["owner_id"], team_id=v["owner"].team_id
                        )
                if "stage_id" in plan.changes:
                    pipeline_services.move_stage(
                        self.actor, deal, v["stage"], v.get("lost_reason", "")
                    )
                updated.append((deal.pk, before))
        self.record(batch, created, updated)
        return {"created": len(created), "updated": len(updated)}


IMPORTERS = {"interactions": InteractionImport, "followups": FollowUpImport, "deals": DealImport}


def check_untouched(batch: ImportBatch) -> None:
    """Deals an import created that have moved on since are not undone silently."""
    if batch.kind == "orders":
        from .orders import check_untouched as orders_untouched

        return orders_untouched(batch)
    if batch.kind != "deals":
        return
    from kehu.pipeline.models import StageChange

    created = created_ids(batch)
    moved = StageChange.objects.filter(deal_id__in=in_values(created)).exclude(
        from_stage__isnull=True
    )
    if created and moved.exists():
        raise ImportRefused(
            _("Deals of this import have moved stage since: undoing it would lose that work.")
        )


from .orders import OrderImport  # noqa: E402 (it builds on RecordImport above)

IMPORTERS["orders"] = OrderImport
