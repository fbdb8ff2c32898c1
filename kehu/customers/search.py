"""Substring search over the customer's search document (name, pinyin, initials, phones,
contact names and e-mails).

SQLite: an FTS5 trigram index (an external-content table kept in step by triggers, see
migration 0002) that keeps which customers hold each trigram but not where (migration 0012):
it finds the customers whose text holds every trigram of the term (the candidates), and
`search_text LIKE` on those rows keeps the ones that hold the term itself. PostgreSQL: a pg_trgm
GIN index on the same column, which its planner weighs against walking the sort index by
itself.

SQLite's planner cannot: `id IN (fts matches)` builds and sorts the whole match set, which for a
broad term (`kjyx` matches ~10% of a million companies) costs over 100 ms, while walking the
page's sort index and testing `search_text LIKE` finds 50 matches in ~1 ms. For a rare term (a
phone fragment) it is the other way round: the index walk would read the whole table. So we ask
FTS how many candidates there are, capped (under a millisecond for a broad term), and pick the
plan: the candidates when they are few, the index walk when they are many. One or two
characters cannot use trigrams and always walk.
"""

import re
from contextlib import contextmanager

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from kehu.core.text import clean_text, normalize_phone

FTS_TABLE = "customers_customer_fts"
FTS_INSERT_TRIGGER = "customers_customer_fts_ai"  # migration 0002
PG_SEARCH_TABLE = "customers_customer_search"
PG_INSERT_TRIGGER = "customers_search_ai"  # migration 0006


def _fill_search(first_id: int, last_id: int, cursor) -> None:
    """Adds the search text of customers `first_id`…`last_id` (just inserted) to the index."""
    table = cursor.db.ops.quote_name("customers_customer")
    if cursor.db.vendor == "sqlite":
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
            f"SELECT id, search_text FROM {table} WHERE id BETWEEN %s AND %s",
            [first_id, last_id],
        )
    else:
        cursor.execute(
            f"INSERT INTO {PG_SEARCH_TABLE} (id, search_text) "
            f"SELECT id, search_text FROM {table} WHERE id BETWEEN %s AND %s "
            "ON CONFLICT (id) DO UPDATE SET search_text = EXCLUDED.search_text",
            [first_id, last_id],
        )


def _filled_elsewhere(first_id: int, last_id: int, cursor) -> None:
    pass


@contextmanager
def indexed_after_insert(first_id: int, last_id: int, *, by_caller: bool = False):
    """For a bulk insert of new customers (ids `first_id`…`last_id`) inside the caller's
    transaction: the search index is filled set-based, after the rows are in, instead of by
    the per-row insert trigger (on SQLite the trigger made 20,000 inserts 7.2 s instead of
    1.1 s). On leaving; or, `by_caller`, by the caller calling the function it gets,
    `fill(first, last, cursor)`, for each range it inserted. The trigger is back before the
    transaction ends, and a rollback restores it."""
    connection = connections["default"]
    table = connection.ops.quote_name("customers_customer")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [FTS_INSERT_TRIGGER],
            )
            row = cursor.fetchone()
            if row is None:  # already off (the demo loader's bulk path, which rebuilds)
                yield _filled_elsewhere
                return
            cursor.execute(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
            yield _fill_search
            if not by_caller:
                _fill_search(first_id, last_id, cursor)
            cursor.execute(row[0])
        else:
            # ALTER TABLE refuses while deferred foreign-key checks of this transaction wait
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {PG_INSERT_TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            yield _fill_search
            if not by_caller:
                _fill_search(first_id, last_id, cursor)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {PG_INSERT_TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def normalise_query(q: str) -> str:
    q = clean_text(q).lower()
    digits = normalize_phone(q)
    if digits and re.fullmatch(r"[\d\-+() ]+", q):
        return digits.replace("-", "")
    return re.sub(r"\s+", "", q).replace("|", "")


# Above this many candidates a term counts as broad. Checking a candidate costs 1-4 µs, walking
# to 50 matches reads rows x 50 / matches rows at ~1 µs: at a million customers both stay under
# ~40 ms around 10,000 (bench/README.md, "Customer list").
BROAD_CANDIDATES = 10_000
MAX_TRIGRAMS = 24  # asked of the index for a long term (its rows are checked whole)


def trigrams(term: str) -> str:
    """The FTS5 query for the customers whose text holds every trigram of `term` (each one
    quoted: three characters are one token of the trigram tokenizer, whatever they are). A long
    term asks for its first MAX_TRIGRAMS distinct ones: the rows found are checked anyway."""
    grams = dict.fromkeys(term[i : i + 3] for i in range(len(term) - 2))
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in list(grams)[:MAX_TRIGRAMS])


def search_customers(qs: QuerySet, q: str) -> QuerySet:
    term = normalise_query(q)
    if not term:
        return qs
    connection = connections[qs.db]
    if len(term) >= 3 and connection.vendor == "sqlite":
        query = trigrams(term)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                " LIMIT %s)",
                [query, BROAD_CANDIDATES + 1],
            )
            broad = cursor.fetchone()[0] > BROAD_CANDIDATES
        if not broad:
            return qs.filter(
                pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [query]),
                search_text__contains=term,
            )
    if connection.vendor == "postgresql":
        # the trigram index on the narrow search table (migration 0006) serves LIKE '%term%';
        # search_text is stored lower case
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return qs.filter(
            pk__in=RawSQL(f"SELECT id FROM {PG_SEARCH_TABLE} WHERE search_text LIKE %s", [pattern])
        )
    return qs.filter(search_text__contains=term)
