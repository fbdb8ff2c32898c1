"""Substring search over the customer's search document (name, pinyin, initials, phones,
contact names and e-mails).

SQLite: an FTS5 trigram index (an external-content table kept in step by triggers, see
migration 0002). PostgreSQL: a pg_trgm GIN index on the same column. Both answer a substring of
three or more characters from the index; one or two characters fall back to a scan, which is
still bounded by the page LIMIT.
"""

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from kehu.core.text import clean_text, normalize_phone

FTS_TABLE = "customers_customer_fts"


def normalise_query(q: str) -> str:
    q = clean_text(q).lower()
    digits = normalize_phone(q)
    if digits and re.fullmatch(r"[\d\-+() ]+", q):
        return digits.replace("-", "")
    return re.sub(r"\s+", "", q).replace("|", "")


def search_customers(qs: QuerySet, q: str) -> QuerySet:
    term = normalise_query(q)
    if not term:
        return qs
    if len(term) >= 3 and connection.vendor == "sqlite":
        quoted = '"' + term.replace('"', '""') + '"'
        return qs.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [quoted])
        )
    # PostgreSQL's trigram index serves LIKE '%term%' directly; search_text is stored lower case
    return qs.filter(search_text__contains=term)
