"""Who may see and change what. Every query of user data starts here.

- admin, director: everything.
- manager: customers of their team's subtree, plus their own and shared ones.
- rep: their own customers and the ones shared with them.
- viewer: read-only, over their team's subtree (or everything without a team).

Pages, API, exports, reports and search all go through these functions; a record outside the
actor's set is a 404, never a 403, so its existence is not leaked.
"""

from contextlib import contextmanager

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Team, User


class AccessDenied(Exception):
    """An action the actor may not take on something they can see (shown as a message)."""


def team_subtree_ids(team: Team | None) -> list[int]:
    if team is None:
        return []
    return list(Team.objects.filter(path__startswith=team.path).values_list("id", flat=True))


def _customer_scope(actor: User, write: bool) -> Q | None:
    """None means no restriction; Q() matching nothing is returned as Q(pk__in=[])."""
    from kehu.customers.models import CustomerShare

    if not actor.is_authenticated or not actor.is_active:
        return Q(pk__in=[])
    if actor.sees_everything:
        return None
    if actor.is_read_only:
        if write:
            return Q(pk__in=[])
        return Q(team_id__in=team_subtree_ids(actor.team)) if actor.team_id else None
    # The shared ids are fetched first (a handful per person) and inlined: with a subquery in
    # the OR, PostgreSQL cannot combine the two indexes and scans the whole table (418 ms at a
    # million customers; with the list, a bitmap OR of two index lookups).
    memo = getattr(actor, "_kehu_read_memo", None)
    if memo is not None and "shared" in memo:
        shared = memo["shared"]
    else:
        shared = list(
            CustomerShare.objects.filter(user_id=actor.pk).values_list("customer_id", flat=True)
        )
        if memo is not None:
            memo["shared"] = shared
    mine = Q(owner_id=actor.pk) | Q(pk__in=shared)
    if actor.is_manager and actor.team_id:
        return mine | Q(team_id__in=team_subtree_ids(actor.team))
    return mine


def visible_customers(actor: User) -> QuerySet:
    from kehu.customers.models import Customer

    scope = _customer_scope(actor, write=False)
    return Customer.objects.all() if scope is None else Customer.objects.filter(scope)


def visible_customers_in_teams(actor: User, team_ids) -> QuerySet:
    """visible_customers(actor) narrowed to the customers of `team_ids`, written so that an
    index on the team serves it alone: when the actor sees each of those teams whole (a
    director, a manager or viewer within their subtree), the team is the whole rule; otherwise
    the full rule stays."""
    from kehu.customers.models import Customer

    ids = set(team_ids)
    scope = _customer_scope(actor, write=False)
    whole = scope is None or (
        (actor.is_manager or actor.is_read_only)
        and actor.team_id
        and ids <= set(team_subtree_ids(actor.team))
    )
    if whole:
        return Customer.objects.filter(team_id__in=ids)
    return visible_customers(actor).filter(team_id__in=ids)


def editable_customers(actor: User) -> QuerySet:
    from kehu.customers.models import Customer

    scope = _customer_scope(actor, write=True)
    return Customer.objects.all() if scope is None else Customer.objects.filter(scope)


def visible(actor: User, model: type[Model]) -> QuerySet:
    """The actor's visible rows of any customer-owned model (one with a `customer` field)."""
    from kehu.customers.models import Customer

    if model is Customer:
        return visible_customers(actor)
    scope = _customer_scope(actor, write=False)
    if scope is None:
        return model._default_manager.all()
    # the same rule on the joined customer (a join the planner can drive from either side,
    # where an IN (subquery) made SQLite check every row against the customer set)
    return model._default_manager.filter(on_customer(scope))


BOOK_IDS = 5000  # a rep's visible customers listed by id, up to this many


def visible_in_key_order(actor: User, model: type[Model]) -> QuerySet:
    """visible(actor, model) for lists read a page at a time in key order (newest first),
    shaped so that each database finds the page without reading the whole visible set:

    - a rep (their own and shared customers, a few thousand) on PostgreSQL: by the list of
      their customers' ids, so the rows come from the customer index; the join walked every
      row newest first looking for the rep's few (a rep's follow-ups 307 ms → 51 ms). SQLite
      drives that join from the owner index by itself (18 ms);
    - a manager or viewer (a subtree) on SQLite: each row's customer checked as it comes (a
      correlated EXISTS), which stops after a page; a join made SQLite build a filter of every
      visible customer first (0.5 s for 667,000 customers);
    - everyone else, and aggregates over every visible row: the join of visible()."""
    from kehu.customers.models import Customer

    if model is Customer:
        return visible(actor, model)
    scope = _customer_scope(actor, write=False)
    if scope is None:
        return model._default_manager.all()
    sqlite = connection.vendor == "sqlite"
    if not (actor.is_manager or actor.is_read_only):
        if sqlite:  # SQLite drives the join from the owner index itself
            return visible(actor, model)
        ids = list(
            Customer.objects.filter(scope).values_list("pk", flat=True).order_by()[: BOOK_IDS + 1]
        )
        if len(ids) <= BOOK_IDS:
            return model._default_manager.filter(customer_id__in=ids)
        return visible(actor, model)
    if not sqlite:
        return visible(actor, model)
    mine = Customer.objects.filter(scope, pk=OuterRef("customer_id"))
    return model._default_manager.filter(Exists(mine))


def on_customer(q: Q) -> Q:
    """`q` (about Customer fields) rewritten for a model whose `customer` field points there:
    filter such a model by its customers without an IN (subquery)."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(on_customer(child))
        else:
            lookup, value = child
            out.children.append((f"customer__{lookup}", value))
    return out


def rollup_scope(actor: User) -> Q | None:
    """Rows of a summary keyed by `team` and `owner` (tier snapshots, rollups) the actor may
    count: their own for reps, their subtree's for managers and team viewers, all for directors
    (None: no restriction). Customers merely shared with someone are not in their rollups."""
    if not actor.is_authenticated or not actor.is_active:
        return Q(pk__in=[])
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return None
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        return Q(team_id__in=team_subtree_ids(actor.team)) | Q(owner_id=actor.pk)
    return Q(owner_id=actor.pk)


def get_customer(actor: User, pk, *, write: bool = False):
    """The customer if the actor may see (or, with write=True, change) it; 404 otherwise.
    Inside `reading_page(actor)` a read is looked up once per customer."""
    memo = getattr(actor, "_kehu_read_memo", None)
    if memo is not None and not write and pk in memo:
        return memo[pk]
    qs = editable_customers(actor) if write else visible_customers(actor)
    try:
        customer = qs.select_related(
            "owner", "team", "industry", "channel", "score_run__policy"
        ).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such customer.")) from None
    if memo is not None and not write:
        memo[pk] = customer
    return customer


@contextmanager
def reading_page(actor: User):
    """For a page that only reads (the customer page and its dozen panels, each checking the
    customer against the actor's visible set): each customer is looked up once for the block,
    not once per panel. Never around writes: a cached row would not see them."""
    if getattr(actor, "_kehu_read_memo", None) is not None:
        yield
        return
    actor._kehu_read_memo = {}
    try:
        yield
    finally:
        del actor._kehu_read_memo


def can_edit_customer(actor: User, customer) -> bool:
    return editable_customers(actor).filter(pk=customer.pk).exists()


def assignable_owners(actor: User) -> QuerySet:
    """Users the actor may make owner of a customer: directors and admins anyone active in
    sales; managers the members of their subtree; reps only themselves."""
    sales = User.objects.filter(is_active=True).exclude(role=User.Role.VIEWER)
    if actor.sees_everything:
        return sales
    if actor.is_manager and actor.team_id:
        return sales.filter(Q(team_id__in=team_subtree_ids(actor.team)) | Q(pk=actor.pk))
    if actor.is_read_only:
        return sales.none()
    return sales.filter(pk=actor.pk)


def can_reassign(actor: User) -> bool:
    return actor.sees_everything or actor.is_manager


def can_reassign_customer(actor: User, customer) -> bool:
    """Managers reassign the customers of their own team subtree, not ones merely shared
    with them from another team; directors and admins reassign any."""
    if actor.sees_everything:
        return True
    return actor.is_manager and customer.team_id in team_subtree_ids(actor.team)


def visible_users(actor: User) -> QuerySet:
    """Users the actor may filter by or pick from: everyone for directors/admins, the subtree
    for managers and viewers, just themselves for reps."""
    users = User.objects.filter(is_active=True)
    if actor.sees_everything:
        return users
    if (actor.is_manager or actor.is_read_only) and actor.team_id:
        return users.filter(Q(team_id__in=team_subtree_ids(actor.team)) | Q(pk=actor.pk))
    if actor.is_read_only:
        return users
    return users.filter(pk=actor.pk)


def share_candidates(actor: User) -> QuerySet:
    """Colleagues a customer can be shared with (made a collaborator): any active sales user."""
    if actor.is_read_only:
        return User.objects.none()
    return User.objects.filter(is_active=True).exclude(role=User.Role.VIEWER)


def visible_teams(actor: User) -> QuerySet:
    if actor.sees_everything or (actor.is_read_only and not actor.team_id):
        return Team.objects.all()
    if actor.team_id and (actor.is_manager or actor.is_read_only):
        return Team.objects.filter(path__startswith=actor.team.path)
    return Team.objects.filter(pk=actor.team_id) if actor.team_id else Team.objects.none()


def require(condition: bool, message: str | None = None) -> None:
    if not condition:
        raise AccessDenied(message or _("You do not have permission to do that."))
