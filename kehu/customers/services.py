"""Every write to customers, contacts, tags and saved views. Views, the API, the command line and
the importers call these, so the rules (access, normalisation, audit, version checks) hold
everywhere. Each function is one transaction: it all happens or none of it does."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core import audit
from kehu.core.models import AuditEvent
from kehu.core.text import (
    clean_company_name,
    clean_text,
    is_valid_email,
    is_valid_phone,
    name_key,
    normalize_email,
    normalize_phone,
    pinyin_forms,
    search_document,
)
from kehu.webhooks import events as webhooks

from .models import Contact, Customer, CustomerShare, CustomerTag, SavedView, Tag


class StaleEdit(Exception):
    """Someone else saved the record after this form was opened: the current customer (its
    message names who and when), or for another record a message of its own."""

    def __init__(self, current: Customer | str):
        if isinstance(current, str):
            self.current = None
            super().__init__(current)
            return
        self.current = current
        super().__init__(
            _(
                "%(user)s saved this customer at %(time)s, after you opened it. Your changes "
                "were not saved: review the current values and edit again."
            )
            % {
                "user": current.updated_by or _("someone"),
                "time": timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S"),
            }
        )


TEXT_FIELDS = ["province", "city", "address", "product_preferences"]
LONG_TEXT_FIELDS = ["core_needs", "notes"]


def _normalise(customer: Customer) -> None:
    customer.name = clean_company_name(customer.name)
    for name in TEXT_FIELDS:
        setattr(customer, name, clean_text(getattr(customer, name)))
    for name in LONG_TEXT_FIELDS:
        setattr(customer, name, (getattr(customer, name) or "").strip())
    customer.tier = clean_text(customer.tier).upper()
    customer.name_key = name_key(customer.name)[:100]
    customer.name_pinyin = pinyin_forms(customer.name)[0][:255]


def _search_text(customer: Customer) -> str:
    if customer.pk:
        rows = Contact.objects.filter(customer=customer).values_list(
            "name", "phone", "phone2", "email"
        )
    else:
        rows = []
    phones, extra = [], []
    for name, phone, phone2, email in rows:
        phones += [phone, phone2]
        extra += [name, email]
    return search_document(customer.name, phones, extra)


def _validate(actor, customer: Customer, *, owner_changed: bool) -> None:
    errors = {}
    if not customer.name:
        errors["name"] = [_("Enter the customer name.")]
    if customer.tier and customer.tier not in Customer.TIERS:
        errors["tier"] = [_("Tier must be one of %(tiers)s.") % {"tiers": "/".join(Customer.TIERS)}]
    if (
        owner_changed
        and customer.owner_id is not None
        and not access.assignable_owners(actor).filter(pk=customer.owner_id).exists()
    ):
        errors["owner"] = [_("You cannot assign customers to this user.")]
    try:
        customer.full_clean(
            exclude=["owner", "team", "created_by", "updated_by"], validate_unique=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _apply(customer: Customer, data: dict, actor=None) -> None:
    editable = {f.name for f in Customer._meta.get_fields() if getattr(f, "editable", False)}
    for key, value in data.items():
        if key not in editable or key in ("tags", "collaborators"):
            raise ValidationError({key: [_("This field cannot be set here.")]})
        if key in ("tier", "score") and actor is not None and not actor.sees_everything:
            # a rep proposes tier changes (kehu.tiering) but never sets one
            raise ValidationError(
                {key: [_("Tiers change through review: propose a change instead.")]}
            )
        setattr(customer, key, value)


@transaction.atomic
def create_customer(
    actor, data: dict, *, tags=(), contacts=(), collaborators=(), queue=None
) -> Customer:
    """Creates a customer (and its first contacts). Reps always own what they create; managers
    and directors may name another owner from their assignable set, or put a new lead into the
    queue of a team they manage (`queue`): no owner yet, the team's assignment rule hands it
    out (kehu.assignment)."""
    access.require(not actor.is_read_only)
    customer = Customer(created_by=actor, updated_by=actor)
    _apply(customer, data, actor)
    if queue is not None:
        access.require(
            access.can_reassign(actor) and access.visible_teams(actor).filter(pk=queue.pk).exists()
        )
        if customer.status != Customer.Status.LEAD:
            raise ValidationError({"status": [_("Only a lead waits in a team's queue.")]})
        customer.owner = None
        customer.team = queue
    # a blank owner means the creator: an ownerless customer would vanish from a manager's view
    elif not access.can_reassign(actor) or data.get("owner") is None:
        customer.owner = actor
    if queue is None:
        customer.team_id = customer.owner.team_id if customer.owner else None
    _normalise(customer)
    _validate(actor, customer, owner_changed=customer.owner_id != actor.pk)
    customer.search_text = search_document(customer.name)
    customer.save()
    audit.record(
        actor,
        AuditEvent.Action.CREATE,
        customer,
        customer_id=customer.pk,
        changes=audit.diff(
            customer, dict.fromkeys(Customer.AUDITED_FIELDS, ""), Customer.AUDITED_FIELDS
        ),
    )
    for contact_data in contacts:
        add_contact(actor, customer, contact_data)
    if tags:
        set_tags(actor, customer, tags)
    if collaborators:
        set_collaborators(actor, customer, collaborators)
    webhooks.emit("customer.created", webhooks.customer_data(customer))
    return customer


@transaction.atomic
def update_customer(
    actor, customer: Customer, data: dict, *, version: int | None = None
) -> Customer:
    """Saves changed fields. `version` is the version the editor started from: if someone else
    saved since, StaleEdit is raised and nothing is written."""
    current = (
        access.editable_customers(actor)
        .select_for_update(no_key=True)
        .filter(pk=customer.pk)
        .first()
    )
    if current is None:
        raise access.AccessDenied(_("You cannot change this customer."))
    if version is not None and current.version != version:
        raise StaleEdit(current)
    before = audit.snapshot(current, Customer.AUDITED_FIELDS)
    old_owner, old_team = current.owner_id, current.team_id
    _apply(current, data, actor)
    owner_changed = current.owner_id != old_owner
    if owner_changed and not access.can_reassign_customer(actor, Customer(team_id=old_team)):
        raise ValidationError({"owner": [_("Only a manager or director can reassign customers.")]})
    _normalise(current)
    _validate(actor, current, owner_changed=owner_changed)
    if owner_changed:
        current.team_id = current.owner.team_id if current.owner else None
    current.search_text = _search_text(current)
    current.updated_by = actor
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db(fields=["version", "updated_at"])
    audit.record(
        actor,
        AuditEvent.Action.UPDATE,
        current,
        customer_id=current.pk,
        changes=audit.diff(current, before, Customer.AUDITED_FIELDS),
    )
    if owner_changed:
        for hook in AFTER_REASSIGN:
            hook([current.pk], current.owner_id)
    webhooks.emit("customer.updated", webhooks.customer_data(current))
    return current


def _tag_names(customer_id) -> str:
    return ", ".join(
        sorted(
            Tag.objects.filter(customertag__customer_id=customer_id).values_list("name", flat=True)
        )
    )


def _touch(actor, customer_id) -> None:
    Customer.objects.filter(pk=customer_id).update(
        updated_by=actor, updated_at=timezone.now(), version=F("version") + 1
    )


def _replace_links(actor, customer, model, column: str, wanted: set, field: str, names) -> None:
    """Makes the customer's rows in a link table (tags, collaborators) exactly `wanted`, and
    audits the change as one field going from the old names to the new."""
    before = names()
    links = model.objects.filter(customer=customer)
    links.exclude(**{f"{column}__in": wanted}).delete()
    have = set(links.values_list(column, flat=True))
    model.objects.bulk_create([model(customer=customer, **{column: pk}) for pk in wanted - have])
    after = names()
    if before != after:
        _touch(actor, customer.pk)
        audit.record(
            actor,
            AuditEvent.Action.UPDATE,
            customer,
            customer_id=customer.pk,
            changes=[audit.field_change(Customer, field, before, after)],
        )


@transaction.atomic
def set_tags(actor, customer: Customer, tags) -> None:
    customer = access.get_customer(actor, customer.pk, write=True)
    _replace_links(
        actor,
        customer,
        CustomerTag,
        "tag_id",
        {t.pk for t in tags},
        "tags",
        lambda: _tag_names(customer.pk),
    )


@transaction.atomic
def set_collaborators(actor, customer: Customer, users) -> None:
    customer = access.get_customer(actor, customer.pk, write=True)
    # any active colleague in sales may be a collaborator: sharing across teams is the point
    allowed = set(access.share_candidates(actor).values_list("pk", flat=True))
    wanted = {u.pk for u in users if u.pk != customer.owner_id}
    if wanted - allowed:
        raise ValidationError({"collaborators": [_("You cannot share customers with that user.")]})
    _replace_links(
        actor,
        customer,
        CustomerShare,
        "user_id",
        wanted,
        "collaborators",
        lambda: ", ".join(sorted(str(u) for u in customer.collaborators.all())),
    )


# --- contacts ---------------------------------------------------------------------------------
def _clean_contact(contact: Contact) -> None:
    errors = {}
    contact.name = clean_text(contact.name)
    contact.title = clean_text(contact.title)
    contact.wechat = clean_text(contact.wechat)
    contact.notes = clean_text(contact.notes)
    if not contact.name:
        errors["name"] = [_("Enter the contact's name.")]
    for field in ("phone", "phone2"):
        raw = getattr(contact, field)
        value = normalize_phone(raw)
        # "abc" normalises to "": typed but not a number, so refused rather than dropped
        if clean_text(raw) and not is_valid_phone(value):
            errors[field] = [
                _(
                    "“%(value)s” is not a valid phone number (mobile 1xxxxxxxxxx or landline with area code)."
                )
                % {"value": raw}
            ]
        setattr(contact, field, value)
    contact.email = normalize_email(contact.email)
    if contact.email and not is_valid_email(contact.email):
        errors["email"] = [
            _("“%(value)s” is not a valid e-mail address.") % {"value": contact.email}
        ]
    try:
        contact.full_clean(exclude=["customer"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if field not in errors)
    if errors:
        raise ValidationError(errors)


def _refresh_search_text(customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(search_text=_search_text(customer))


@transaction.atomic
def add_contact(actor, customer: Customer, data: dict) -> Contact:
    customer = access.get_customer(actor, customer.pk, write=True)
    contact = Contact(customer=customer, **data)
    _clean_contact(contact)
    if not contact.is_primary and not customer.contacts.exists():
        contact.is_primary = True
    if contact.is_primary:
        customer.contacts.update(is_primary=False)
    contact.save()
    _refresh_search_text(customer)
    _touch(actor, customer.pk)
    audit.record(
        actor,
        AuditEvent.Action.CREATE,
        contact,
        customer_id=customer.pk,
        changes=audit.diff(
            contact, dict.fromkeys(Contact.AUDITED_FIELDS, ""), Contact.AUDITED_FIELDS
        ),
    )
    return contact


@transaction.atomic
def update_contact(actor, contact: Contact, data: dict) -> Contact:
    customer = access.get_customer(actor, contact.customer_id, write=True)
    contact = Contact.objects.select_for_update().get(pk=contact.pk, customer=customer)
    before = audit.snapshot(contact, Contact.AUDITED_FIELDS)
    for key, value in data.items():
        setattr(contact, key, value)
    _clean_contact(contact)
    if contact.is_primary:
        customer.contacts.exclude(pk=contact.pk).update(is_primary=False)
    contact.save()
    _refresh_search_text(customer)
    changes = audit.diff(contact, before, Contact.AUDITED_FIELDS)
    if changes:
        _touch(actor, customer.pk)
    audit.record(actor, AuditEvent.Action.UPDATE, contact, customer_id=customer.pk, changes=changes)
    return contact


@transaction.atomic
def delete_contact(actor, contact: Contact) -> None:
    customer = access.get_customer(actor, contact.customer_id, write=True)
    before = audit.snapshot(contact, Contact.AUDITED_FIELDS)
    audit.record(
        actor,
        AuditEvent.Action.DELETE,
        contact,
        customer_id=customer.pk,
        changes=[audit.field_change(Contact, k, v, "") for k, v in before.items() if v],
    )
    contact.delete()
    _refresh_search_text(customer)
    _touch(actor, customer.pk)


# --- merge ------------------------------------------------------------------------------------
# Apps that keep per-customer state tidy it after a merge (two plans for the same cadence …):
# functions of the kept customer, registered from their AppConfig.ready.
AFTER_MERGE: list = []
# … and hand the customers' open work to a new owner: functions of (customer ids, owner id).
AFTER_REASSIGN: list = []


def _move_related(drop: Customer, keep: Customer) -> dict[str, int]:
    """Points every record that refers to `drop` at `keep`, whatever app it lives in, so that a
    merge keeps interactions, deals, orders … added by later apps without knowing them. Rows
    that would break a unique constraint (the same tag twice) are dropped first."""
    moved = {}
    for rel in Customer._meta.related_objects:
        if rel.many_to_many or not (rel.one_to_many or rel.one_to_one):
            continue
        model, fk = rel.related_model, rel.field.name
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", []) or [])
            if fk in fields and len(fields) > 1:
                others = [f for f in fields if f != fk]
                taken = model._default_manager.filter(**{fk: keep}).values(*others)
                clash = model._default_manager.filter(**{fk: drop})
                for row in taken:
                    clash_q = clash.filter(**row)
                    clash_q.delete()
        count = model._default_manager.filter(**{fk: drop}).update(**{fk: keep})
        if count:
            moved[str(model._meta.verbose_name_plural)] = count
    return moved


@transaction.atomic
def merge_customers(actor, keep: Customer, drop: Customer) -> Customer:
    """Merges `drop` into `keep`: every related record moves to `keep`, fields `keep` leaves
    empty are filled from `drop`, and `drop` is deleted. Both must be editable by the actor."""
    if keep.pk == drop.pk:
        raise ValidationError({"other": [_("A customer cannot be merged into itself.")]})
    # both rows locked (in id order) before reading them: a second merge of the same pair
    # waits, then finds the dropped customer gone instead of adding its amounts again
    locked = Customer.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk]).order_by("pk")
    if len(list(locked.values_list("pk", flat=True))) != 2:
        raise ValidationError(
            {"other": [_("This customer no longer exists: it was merged or deleted.")]}
        )
    keep = access.get_customer(actor, keep.pk, write=True)
    drop = access.get_customer(actor, drop.pk, write=True)
    before = audit.snapshot(keep, Customer.AUDITED_FIELDS)
    dropped = audit.snapshot(drop, Customer.AUDITED_FIELDS)
    for name in Customer.AUDITED_FIELDS:
        if name in ("owner",):
            continue
        if getattr(keep, name) in (None, "") and getattr(drop, name) not in (None, ""):
            setattr(keep, name, getattr(drop, name))
    keep.cooperation_amount = (keep.cooperation_amount or 0) + (drop.cooperation_amount or 0)
    for name in ("last_contact_at", "next_followup_at"):
        values = [v for v in (getattr(keep, name), getattr(drop, name)) if v]
        if values:
            setattr(keep, name, max(values) if name == "last_contact_at" else min(values))
    if keep.contacts.filter(is_primary=True).exists():
        # one primary contact per customer: the kept customer's stays primary
        drop.contacts.filter(is_primary=True).update(is_primary=False)
    moved = _move_related(drop, keep)
    # collaborators: the dropped customer's owner keeps access as a collaborator
    if drop.owner_id and drop.owner_id != keep.owner_id:
        CustomerShare.objects.get_or_create(customer=keep, user_id=drop.owner_id)
    CustomerShare.objects.filter(customer=keep, user_id=keep.owner_id).delete()
    drop_repr, drop_pk = str(drop), drop.pk
    drop.delete()
    _normalise(keep)
    keep.search_text = _search_text(keep)
    keep.updated_by = actor
    keep.version = F("version") + 1
    keep.save()
    keep.refresh_from_db()
    for hook in AFTER_MERGE:
        hook(keep)
    changes = audit.diff(keep, before, Customer.AUDITED_FIELDS)
    changes.insert(
        0,
        {
            "field": "merged",
            "label": _("merged from"),
            "old": f"{drop_repr} (#{drop_pk})",
            "new": "; ".join(
                f"{Customer._meta.get_field(k).verbose_name}: {v}" for k, v in dropped.items() if v
            ),
        },
    )
    changes.append(
        {
            "field": "moved",
            "label": _("records moved"),
            "old": "",
            "new": ", ".join(f"{k}: {n}" for k, n in moved.items()),
        }
    )
    audit.record(actor, AuditEvent.Action.MERGE, keep, customer_id=keep.pk, changes=changes)
    return keep


# --- bulk actions -----------------------------------------------------------------------------
def _bulk_targets(actor, ids) -> list[Customer]:
    ids = [int(i) for i in ids]
    customers = list(access.editable_customers(actor).filter(pk__in=ids).select_related("owner"))
    if len(customers) != len(set(ids)):
        raise access.AccessDenied(_("Some of the selected customers cannot be changed by you."))
    return customers


@transaction.atomic
def bulk_assign(actor, ids, owner) -> int:
    access.require(
        access.can_reassign(actor), _("Only a manager or director can reassign customers.")
    )
    if not access.assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [_("You cannot assign customers to this user.")]})
    customers = [c for c in _bulk_targets(actor, ids) if c.owner_id != owner.pk]
    # the manager's subtree once, not once per customer
    subtree = None if actor.sees_everything else set(access.team_subtree_ids(actor.team))
    if subtree is not None and not all(c.team_id in subtree for c in customers):
        raise access.AccessDenied(_("Some of the selected customers cannot be changed by you."))
    events = [
        audit.event(
            actor,
            AuditEvent.Action.UPDATE,
            c,
            customer_id=c.pk,
            changes=[audit.field_change(Customer, "owner", str(c.owner or ""), str(owner))],
        )
        for c in customers
    ]
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        owner=owner,
        team_id=owner.team_id,
        updated_by=actor,
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    AuditEvent.objects.bulk_create(events)
    for hook in AFTER_REASSIGN:
        hook([c.pk for c in customers], owner.pk)
    return len(customers)


@transaction.atomic
def bulk_set_status(actor, ids, status: str) -> int:
    if status not in Customer.Status.values:
        raise ValidationError({"status": [_("Choose a valid status.")]})
    customers = [c for c in _bulk_targets(actor, ids) if c.status != status]
    new_label = str(Customer.Status(status).label)
    events = [
        audit.event(
            actor,
            AuditEvent.Action.UPDATE,
            c,
            customer_id=c.pk,
            changes=[audit.field_change(Customer, "status", c.get_status_display(), new_label)],
        )
        for c in customers
    ]
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        status=status, updated_by=actor, updated_at=timezone.now(), version=F("version") + 1
    )
    AuditEvent.objects.bulk_create(events)
    return len(customers)


@transaction.atomic
def bulk_add_tag(actor, ids, tag: Tag) -> int:
    customers = _bulk_targets(actor, ids)
    have = set(
        CustomerTag.objects.filter(tag=tag, customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    targets = [c for c in customers if c.pk not in have]
    CustomerTag.objects.bulk_create([CustomerTag(customer=c, tag=tag) for c in targets])
    AuditEvent.objects.bulk_create(
        [
            audit.event(
                actor,
                AuditEvent.Action.UPDATE,
                c,
                customer_id=c.pk,
                changes=[audit.field_change(Customer, "tags", "", f"+ {tag.name}")],
            )
            for c in targets
        ]
    )
    Customer.objects.filter(pk__in=[c.pk for c in targets]).update(
        updated_by=actor, updated_at=timezone.now(), version=F("version") + 1
    )
    return len(targets)


# --- saved views ------------------------------------------------------------------------------
@transaction.atomic
def save_view(actor, name: str, query: str) -> SavedView:
    name = clean_text(name)
    if not name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    if len(name) > 50:
        raise ValidationError({"name": [_("Keep the name under 50 characters.")]})
    view, _created = SavedView.objects.update_or_create(
        user=actor, name=name, defaults={"query": query[:2000]}
    )
    return view


@transaction.atomic
def delete_view(actor, view_id: int) -> None:
    SavedView.objects.filter(user=actor, pk=view_id).delete()
