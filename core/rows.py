"""Model instances from rows of hand-written SQL, converted exactly as the ORM converts them.

The hottest statements are written in SQL (the ORM's query building costs several times their
database time; measured by `make bench`); their rows still become ordinary model instances.
"""

import functools

from django.db import connection


@functools.cache
def _converters(model, alias: str, vendor: str) -> list[list]:
    """Per concrete field of `model`, the (converter, column) pairs the ORM applies to its value as
    this database returns it (text to dates and datetimes on SQLite; none on PostgreSQL)."""
    pairs = []
    for field in model._meta.concrete_fields:
        col = field.get_col(alias)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        pairs.append([(converter, col) for converter in found])
    return pairs


def model_from_row(model, values, *, alias: str | None = None):
    """A `model` instance from the values of all its concrete fields (in field order)."""
    values = list(values)
    converters = _converters(model, alias or model._meta.db_table, connection.vendor)
    for index, pairs in enumerate(converters):
        for converter, col in pairs:
            values[index] = converter(values[index], col, connection)
    return model.from_db(connection.alias, None, values)
