"""Read side of customers: the list (filters, columns, sort, keyset pages), the timeline and
duplicate candidates. Every query starts from accounts.access."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from kehu.accounts import access
from kehu.accounts.models import User
from kehu.core.models import AuditEvent
from kehu.core.paging import Page, keyset_page
from kehu.core.text import clean_company_name, name_key, normalize_email, normalize_phone

from .models import Contact, Customer, CustomerTag
from .search import search_customers


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str | None = None  # model field the column sorts by
    numeric: bool = False


COLUMNS = {
    c.key: c
    for c in [
        Column("name", _("customer name"), "name_pinyin"),
        Column("tier", _("tier"), "tier"),
        Column("score", _("score"), "score", numeric=True),
        Column("status", _("status"), "status"),
        Column("industry", _("industry"), "industry_id"),
        Column("region", _("region"), "province"),
        Column("channel", _("source channel"), "channel_id"),
        Column("owner", _("owner"), "owner_id"),
        Column("team", _("team"), "team_id"),
        Column("contact", _("primary contact")),
        Column("phone", _("phone")),
        Column("tags", _("tags")),
        Column("cooperation_amount", _("cooperation amount"), "cooperation_amount", numeric=True),
        Column("annual_budget", _("annual budget"), "annual_budget", numeric=True),
        Column("last_contact_at", _("last follow-up"), "last_contact_at"),
        Column("next_followup_at", _("next follow-up"), "next_followup_at"),
        Column("satisfaction", _("satisfaction"), "satisfaction", numeric=True),
        Column("purchase_total", _("purchases (CNY)"), "purchase_total", numeric=True),
        Column("purchase_count", _("orders"), numeric=True),
        Column("last_purchase_on", _("last order"), "last_purchase_on"),
        Column("first_purchase_on", _("first order"), "first_purchase_on"),
        Column("created_at", _("created at"), "created_at"),
        Column("updated_at", _("updated at"), "updated_at"),
    ]
}
DEFAULT_COLUMNS = [
    "name",
    "tier",
    "status",
    "industry",
    "owner",
    "contact",
    "cooperation_amount",
    "last_contact_at",
    "next_followup_at",
]
DEFAULT_SORT = "-updated_at"
SEARCH_COUNT_CAP = 1000


def parse_columns(value: str | None) -> list[str]:
    keys = [k for k in (value or "").split(",") if k in COLUMNS]
    if "name" not in keys:
        keys.insert(0, "name")
    return keys if len(keys) > 1 else DEFAULT_COLUMNS


def parse_sort(value: str | None) -> tuple[str, str, bool]:
    """→ (sort parameter, model field, ascending). Unknown sorts fall back to the default."""
    value = value or DEFAULT_SORT
    key = value.lstrip("-")
    column = COLUMNS.get(key)
    if column is None or column.sort is None:
        return (
            parse_sort(DEFAULT_SORT)
            if value != DEFAULT_SORT
            else ("-updated_at", "updated_at", False)
        )
    return value, column.sort, not value.startswith("-")


def _day_start(d):
    return timezone.make_aware(datetime.combine(d, time.min))


def filter_customers(actor, params: dict) -> QuerySet:
    """`params` are the cleaned values of forms.CustomerFilterForm."""
    qs = access.visible_customers(actor)
    if params.get("tier"):
        qs = qs.filter(tier__in=params["tier"])
    if params.get("status"):
        qs = qs.filter(status__in=params["status"])
    if params.get("owner"):
        qs = qs.filter(owner=params["owner"])
    if params.get("team"):
        qs = qs.filter(team_id__in=access.team_subtree_ids(params["team"]))
    if params.get("industry"):
        qs = qs.filter(industry=params["industry"])
    if params.get("channel"):
        qs = qs.filter(channel=params["channel"])
    if params.get("tag"):
        qs = qs.filter(pk__in=CustomerTag.objects.filter(tag=params["tag"]).values("customer_id"))
    if params.get("contact_from"):
        qs = qs.filter(last_contact_at__gte=_day_start(params["contact_from"]))
    if params.get("contact_to"):
        qs = qs.filter(
            last_contact_at__lt=_day_start(params["contact_to"]) + timezone.timedelta(days=1)
        )
    if params.get("never_contacted"):
        qs = qs.filter(last_contact_at__isnull=True)
    if params.get("overdue"):
        # overdue: planned for a day before today (a follow-up due today is not late yet)
        start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        qs = qs.filter(next_followup_at__lt=start_of_today)
    if params.get("purchases_min") is not None:
        qs = qs.filter(purchase_total__gte=params["purchases_min"])
    if params.get("no_order_days"):
        # bought before, but nothing in the last N days (the win-back list's question)
        cutoff = timezone.localdate() - timezone.timedelta(days=params["no_order_days"])
        qs = qs.filter(last_purchase_on__lt=cutoff)
    if params.get("q"):
        qs = search_customers(qs, params["q"])
    return qs


def list_page(
    actor, params: dict, *, sort: str, columns: list[str], size: int, after=None, before=None
) -> Page:
    """One page of the customer list: a constant number of queries whatever the page size
    (the page, the capped count, and one each for contacts and tags when those columns show)."""
    _sort, field, ascending = parse_sort(sort)
    qs = filter_customers(actor, params).select_related("owner", "industry", "channel", "team")
    prefetch = []
    if "contact" in columns or "phone" in columns:
        prefetch.append(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_primary=True).only(
                    "customer_id", "name", "title", "phone"
                ),
                to_attr="primary_contacts",
            )
        )
    if "tags" in columns:
        prefetch.append("tags")
    # a search's total matters less than its first rows: count a broad match only to 1,000+
    cap = SEARCH_COUNT_CAP if params.get("q") else None
    page = keyset_page(qs, field, ascending, size, after=after, before=before, count_cap=cap)
    if prefetch:
        prefetch_related_objects(page.rows, *prefetch)
    return page


# Other apps add entries to the timeline (interactions, deals, orders …): a function
# (actor, customer, limit) -> [{"kind": …, "at": …, …}], registered from their AppConfig.ready.
TIMELINE_SOURCES: list = []


def timeline(actor, customer: Customer, limit: int = 200) -> list[dict]:
    """What happened to the customer, newest first: its audit trail and the entries other
    apps register in TIMELINE_SOURCES."""
    field_labels = {
        f.name: str(f.verbose_name)
        for f in Customer._meta.get_fields()
        if hasattr(f, "verbose_name")
    }
    contact_labels = {
        f.name: str(f.verbose_name)
        for f in Contact._meta.get_fields()
        if hasattr(f, "verbose_name")
    }
    entries = []
    events = access.visible(actor, AuditEvent).filter(customer=customer).select_related("actor")
    for event in events.order_by("-at", "-pk")[:limit]:
        labels = contact_labels if event.model == "customers.contact" else field_labels
        changes = [
            {**c, "label": labels.get(c["field"], c.get("label", c["field"]))}
            for c in event.changes
        ]
        entries.append({"kind": "audit", "at": event.at, "event": event, "changes": changes})
    for source in TIMELINE_SOURCES:
        entries.extend(source(actor, customer, limit))
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


# --- duplicates -------------------------------------------------------------------------------
@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str]
    score: int
    visible: bool


def find_duplicates(
    actor, *, name="", phones=(), emails=(), exclude_pk=None, limit=8
) -> list[DuplicateCandidate]:
    """Likely duplicates of a customer being created or imported, across the whole base.

    This is the one deliberate read outside the actor's visible set: two reps must not chase
    the same company unknowingly (撞单). Customers the actor cannot see are reported by name
    and owner only (the template shows no link and no details)."""
    base = Customer.objects.all()
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    found: dict[int, DuplicateCandidate] = {}

    def add(customer, reason, score):
        cand = found.get(customer.pk)
        if cand is None:
            found[customer.pk] = DuplicateCandidate(customer, [reason], score, False)
        else:
            if reason not in cand.reasons:
                cand.reasons.append(reason)
            cand.score = max(cand.score, score)

    key = name_key(clean_company_name(name)) if name else ""
    if key:
        for c in base.filter(name_key=key)[:limit]:
            add(c, str(_("same name")), 100)
        if len(key) >= 2:
            # prefix range on the indexed key, plus a trigram search for the key inside names
            pool = list(base.filter(name_key__gte=key[:2], name_key__lt=key[:2] + "\uffff")[:300])
            if len(key) >= 3:
                pool += list(search_customers(base, key)[:300])
            for c in pool:
                ratio = fuzz.ratio(key, c.name_key)
                if ratio >= 80 and c.name_key != key:
                    add(c, str(_("similar name")), int(ratio))
    phones = [p for p in (normalize_phone(p) for p in phones) if p]
    emails = [e for e in (normalize_email(e) for e in emails) if e]
    if phones or emails:
        q = Q()
        if phones:
            q |= Q(phone__in=phones) | Q(phone2__in=phones)
        if emails:
            q |= Q(email__in=emails)
        contacts = Contact.objects.filter(q).select_related("customer")
        if exclude_pk:
            contacts = contacts.exclude(customer_id=exclude_pk)
        for contact in contacts[:limit]:
            reason = (
                _("same phone")
                if contact.phone in phones or contact.phone2 in phones
                else _("same e-mail")
            )
            add(contact.customer, str(reason), 100)
    result = sorted(found.values(), key=lambda c: -c.score)[:limit]
    visible_ids = set(
        access.visible_customers(actor)
        .filter(pk__in=[c.customer.pk for c in result])
        .values_list("pk", flat=True)
    )
    owners = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=[c.customer.owner_id for c in result if c.customer.owner_id]
        )
    }
    for cand in result:
        cand.visible = cand.customer.pk in visible_ids
        cand.customer.owner = owners.get(cand.customer.owner_id)
    return result
