"""The search index behind customers.search: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    # external content: the text lives once, in customers_customer.search_text
    """CREATE VIRTUAL TABLE customers_customer_fts USING fts5(
        search_text, content='customers_customer', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER customers_customer_fts_ai AFTER INSERT ON customers_customer BEGIN
        INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER customers_customer_fts_ad AFTER DELETE ON customers_customer BEGIN
        INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER customers_customer_fts_au AFTER UPDATE OF search_text ON customers_customer
    BEGIN
        INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS customers_customer_fts_au",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ai",
    "DROP TABLE IF EXISTS customers_customer_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customers_customer_search_trgm "
    "ON customers_customer USING gin (search_text gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS customers_customer_search_trgm"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
