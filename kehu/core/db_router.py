"""Reports read from a PostgreSQL read replica when there is one (docs/scaling.md).

With KEHU_REPLICA_DATABASE_URL set, settings add a 'replica' database. Only code that asks
for it reads there: a report wraps its read-only computation in `with reporting():` (the
pivot, the review report, the dashboards' figures), and raw SQL can pick its connection with
`reporting_db()`. Everything else — every write, every page that is not a report, anything
inside a transaction (`atomic` on the primary: it may just have written what it reads) —
stays on the primary. A replica lags by its replication delay: reports are period figures
("as of" a cached time already), never the place where a user checks what they just saved.

Without a replica configured, all of this is a no-op: `reporting()` changes nothing.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reporting: ContextVar[bool] = ContextVar("kehu_reporting", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reporting_db() -> str:
    """The alias a report's reads use now: the replica when one is configured, we are inside
    `reporting()` and not inside a transaction on the primary; otherwise the primary."""
    if (
        _reporting.get()
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA
    return DEFAULT_DB_ALIAS


@contextmanager
def reporting():
    """Reads of the ORM inside this block go to the replica (see reporting_db)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reporting_view(view):
    """A view whose queries are report reads (it writes nothing to the database)."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reporting():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside `reporting()` → the replica; writes always → the primary, including an
    object that was read from the replica and is saved later."""

    def db_for_read(self, model, **hints):
        alias = reporting_db()
        return alias if alias == REPLICA else None

    def db_for_write(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # a replica copies the primary's schema through replication: never migrate it
        return False if db == REPLICA else None
