"""Trigram indexes for the catalog search, on PostgreSQL only (SQLite scans; it is for development).

The expressions match what Django's `icontains` sends to PostgreSQL, `UPPER(column::text) LIKE
UPPER('%term%')`, so the planner can use them (see `catalog.selectors.book_search`).
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "catalog_book_title_trgm": ("catalog_book", "title"),
    "catalog_book_description_trgm": ("catalog_book", "description"),
    "catalog_book_isbn_trgm": ("catalog_book", "isbn"),
    "catalog_author_name_trgm": ("catalog_author", "name"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
