"""Server-side prepared statements for the hottest hand-written SQL (PostgreSQL).

Planning a statement with a few correlated subqueries costs PostgreSQL several times what running
it costs (a book page: 0.32 ms planning against 0.07 ms execution; measured by `make bench`). A
statement prepared once per database connection is planned once and then only executed. Prepared
statements belong to the session, survive rollbacks, and are re-planned by PostgreSQL itself when
a table they read changes. Behind a pooler in transaction mode (PgBouncer) session state does not
follow the client: set `DATABASE_PREPARED_STATEMENTS=false` there.

Each statement is registered by name at import time (`register`), and a second statement under a
name already taken is an error there: a session knows a prepared statement only by its name, so
two statements sharing one would silently run whichever was prepared first.

Other databases (SQLite in `make run` and the local tests) run the statement as it is.
"""

import itertools
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

# Lower case only (PostgreSQL folds an unquoted name to lower case) and at most 63 characters
# (it cuts a longer one there): so two names that differ in Python differ in the session too.
NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _numbered(sql: str) -> str:
    """`%s` placeholders as PostgreSQL's `$1, $2, ...` (the SQL holds no literal `%`)."""
    counter = itertools.count(1)
    parts = sql.split("%s")
    return "".join(
        part + (f"${next(counter)}" if index < len(parts) - 1 else "")
        for index, part in enumerate(parts)
    )


class Statement:
    """One registered statement: its name and its SQL, or a function building the SQL for the
    database in use (called once per database vendor, the first time the statement runs)."""

    def __init__(self, name: str, sql: str | Callable[[], str]):
        self.name = name
        self._build = sql if callable(sql) else lambda: sql
        self._sql_by_vendor: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<Statement {self.name}>"

    def sql(self) -> str:
        """The statement's SQL for the database in use, with `%s` placeholders."""
        sql = self._sql_by_vendor.get(connection.vendor)
        if sql is None:
            sql = self._sql_by_vendor[connection.vendor] = self._build()
        return sql

    def execute(self, cursor, params: list) -> None:
        """Run the statement with `params` on `cursor`, prepared under its name on PostgreSQL."""
        sql = self.sql()
        if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return
        connection.ensure_connection()
        # The names prepared on this thread's driver connection: a reconnect starts with none.
        if getattr(connection, "prepared_on", None) is not connection.connection:
            connection.prepared_on, connection.prepared_names = connection.connection, set()
        if self.name not in connection.prepared_names:
            cursor.execute(f"PREPARE {self.name} AS {_numbered(sql)}")
            connection.prepared_names.add(self.name)
        cursor.execute(f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})", params)


class Registry:
    """Statements by name; a name is taken once."""

    def __init__(self):
        self._statements: dict[str, Statement] = {}

    def register(self, name: str, sql: str | Callable[[], str]) -> Statement:
        """Register `sql` (or the function building it) as `name` and return its handle."""
        if not NAME.fullmatch(name):
            raise ImproperlyConfigured(
                f"Prepared statement name {name!r}: use 1 to 63 lower-case letters, digits "
                "and underscores, not starting with a digit."
            )
        if name in self._statements:
            raise ImproperlyConfigured(
                f"A prepared statement named {name!r} is already registered."
            )
        statement = self._statements[name] = Statement(name, sql)
        return statement

    def names(self) -> list[str]:
        return sorted(self._statements)


statements = Registry()
register = statements.register
