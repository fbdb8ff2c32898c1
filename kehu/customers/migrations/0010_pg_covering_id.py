"""PostgreSQL only: covering indexes (INCLUDE) that let the period figures and the churn
warnings read narrow indexes instead of the wide customer rows. At a million customers:

- the customer's id with what the figures and the warnings join on (first and last purchase,
  status, owner, team): repurchase and churn for a year 1.3 s → 0.56 s, the answers and
  complaints of a team's warnings 120 → 60 ms and 75 → 35 ms;
- a team's customers by purchase due date and by next follow-up, with their id, status and last
  purchase: the warnings' falling-frequency and overdue reasons 120 → 7 ms and 100 → 16 ms.

SQLite has no INCLUDE and its joins read rows by rowid; it keeps the plain (team, …) indexes of
the model. Index-only scans need a fresh visibility map: VACUUM after bulk loads (the demo
does)."""

from django.db import migrations

INDEXES = {
    "cust_id_covering": "(id) INCLUDE (first_purchase_on, last_purchase_on, status, owner_id, "
    "team_id)",
    "cust_team_due_cover": "(team_id, purchase_due_on) INCLUDE (id, status, last_purchase_on)",
    "cust_team_next_cover": "(team_id, next_followup_at) INCLUDE (id, status, last_purchase_on)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {columns}"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_lifetime_index")]
    operations = [migrations.RunPython(forwards, backwards)]
