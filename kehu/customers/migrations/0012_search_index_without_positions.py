"""SQLite: the trigram index keeps which customers hold each trigram, not where (detail=none),
nor each text's length (columnsize=0, used only to rank matches, which search never does).

Substring search asks it with GLOB, which looks the term's trigrams up and then checks each
candidate's text, so positions are never needed. Without them the index is 60% smaller and
filling it costs about 40% less (bench/README.md, "Spreadsheet import and export").
PostgreSQL's pg_trgm index is unchanged."""

from django.db import migrations

CREATE = """CREATE VIRTUAL TABLE customers_customer_fts USING fts5(
    search_text, content='customers_customer', content_rowid='id', tokenize='trigram'{detail})"""


def _recreate(detail: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        # the triggers of 0002 name the table and find the new one
        schema_editor.execute("DROP TABLE customers_customer_fts")
        schema_editor.execute(CREATE.format(detail=detail))
        schema_editor.execute(
            "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')"
        )

    return apply


class Migration(migrations.Migration):
    dependencies = [("customers", "0011_drop_redundant_fk_indexes")]

    operations = [
        migrations.RunPython(_recreate(", detail=none, columnsize=0"), _recreate("")),
    ]
