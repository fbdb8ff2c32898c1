"""PostgreSQL: the trigram index moves to its own narrow table (as SQLite's FTS5 index is).

With the GIN index on the customers table, every bulk update of customers (scores written back
by re-tiering, the pool recycler, next follow-up dates) re-inserted each row's trigrams: a
million-row score update ran for over ten minutes. Now only a change of search_text touches
the index; triggers keep the table in step."""

from django.db import migrations

FORWARD = [
    "CREATE TABLE IF NOT EXISTS customers_customer_search "
    "(id bigint PRIMARY KEY, search_text text NOT NULL)",
    "INSERT INTO customers_customer_search (id, search_text) "
    "SELECT id, search_text FROM customers_customer ON CONFLICT (id) DO NOTHING",
    "CREATE INDEX IF NOT EXISTS customers_customer_search_text_trgm "
    "ON customers_customer_search USING gin (search_text gin_trgm_ops)",
    "DROP INDEX IF EXISTS customers_customer_search_trgm",
    """CREATE OR REPLACE FUNCTION customers_search_upsert() RETURNS trigger AS $$
    BEGIN
        INSERT INTO customers_customer_search (id, search_text) VALUES (NEW.id, NEW.search_text)
        ON CONFLICT (id) DO UPDATE SET search_text = EXCLUDED.search_text;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION customers_search_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM customers_customer_search WHERE id = OLD.id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER customers_search_ai AFTER INSERT ON customers_customer "
    "FOR EACH ROW EXECUTE FUNCTION customers_search_upsert()",
    "CREATE TRIGGER customers_search_au AFTER UPDATE OF search_text ON customers_customer "
    "FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
    "EXECUTE FUNCTION customers_search_upsert()",
    "CREATE TRIGGER customers_search_ad AFTER DELETE ON customers_customer "
    "FOR EACH ROW EXECUTE FUNCTION customers_search_delete()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS customers_search_ad ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_search_au ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_search_ai ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_search_delete()",
    "DROP FUNCTION IF EXISTS customers_search_upsert()",
    "CREATE INDEX IF NOT EXISTS customers_customer_search_trgm "
    "ON customers_customer USING gin (search_text gin_trgm_ops)",
    "DROP TABLE IF EXISTS customers_customer_search",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_pool")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
