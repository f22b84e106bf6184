"""The catalog's hand-written SQL, each function named after what it returns.

The book page is the hottest read of the catalog: composed through the ORM its one statement
costs several times its database time in Python (measured by `make bench`), so it is written here
and prepared once per PostgreSQL connection (`core.prepared`). The book list keeps the ORM and
takes from here only the correlated subquery of a book's authors.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection

from catalog import hooks
from catalog.models import Author, Book, Genre
from core import prepared


@dataclass(frozen=True, slots=True)
class BookDetailRow:
    """A book page's row: the book, its genre's name, its popularity (reservations started since
        the window's start), its rating and readers' figures, whether settlement has work on it, when it
    was withdrawn (None while in the catalog), and, on
        PostgreSQL, its authors as `[{id, name}, ...]` (None elsewhere: read in a second query)."""

    id: int
    title: str
    isbn: str
    description: str
    genre_id: int
    genre_name: str
    published_year: int
    total_units: int
    available_units: int
    popularity: int
    rating_average: Decimal | None
    rating_count: int
    like_count: int
    dislike_count: int
    review_count: int
    want_to_read_count: int
    settlement_due: bool
    withdrawn_at: datetime | None
    authors: list[dict] | None


def book_authors_json_sql() -> str | None:
    """A book's authors as a JSON array `[{id, name}, ...]` in their own order (name, id), as a
    correlated subquery of the book row: PostgreSQL only (SQLite's JSON aggregate takes no
    ORDER BY before 3.44); elsewhere None, and the caller reads them in a second query."""
    if connection.vendor != "postgresql":
        return None
    link, author = Book.authors.through._meta.db_table, Author._meta.db_table
    book = Book._meta.db_table
    return (
        "SELECT COALESCE(json_agg(json_build_object('id', a.id, 'name', a.name) "
        f"ORDER BY a.name, a.id), '[]'::json) FROM {link} ba JOIN {author} a "
        f'ON a.id = ba.author_id WHERE ba.book_id = "{book}"."id"'
    )


def _book_detail_sql() -> str:
    """The book page's statement: the row, its genre, popularity, whether settlement has work on
    the book (a due reservation or a servable suspended entry) and, on PostgreSQL, its authors."""
    b, genre = Book._meta.db_table, Genre._meta.db_table
    popularity, settlement_due = hooks.book_page_sql(f'"{b}"')
    authors = book_authors_json_sql()
    return (
        f'SELECT "{b}"."id", "{b}"."title", "{b}"."isbn", "{b}"."description", '
        f'"{b}"."genre_id", g."name", "{b}"."published_year", "{b}"."total_units", '
        f'"{b}"."available_units", ({popularity}), "{b}"."rating_average", '
        f'"{b}"."rating_count", "{b}"."like_count", "{b}"."dislike_count", '
        f'"{b}"."review_count", "{b}"."want_to_read_count", {settlement_due}, '
        f'"{b}"."withdrawn_at"'
        + (f", ({authors})" if authors else "")
        + f' FROM "{b}" JOIN {genre} g ON g.id = "{b}"."genre_id" WHERE "{b}"."id" = %s'
    )


BOOK_DETAIL = prepared.register("catalog_book_detail", _book_detail_sql)


def book_detail_row(
    book_id: int, *, at: datetime, popular_since: timedelta
) -> BookDetailRow | None:
    """The book page's row at `at` (popularity counted over `popular_since` before it): one
    query. None when there is no such book."""
    moment = connection.ops.adapt_datetimefield_value(at)
    since = connection.ops.adapt_datetimefield_value(at - popular_since)
    with connection.cursor() as cursor:
        BOOK_DETAIL.execute(cursor, [since, moment, moment, book_id])
        found = cursor.fetchone()
    if found is None:
        return None
    authors = found[18] if len(found) > 18 else None
    withdrawn_at = found[17]
    if withdrawn_at is not None and not isinstance(withdrawn_at, datetime):
        # SQLite hands raw SQL's timestamps back as text; the ORM's converter reads them.
        withdrawn_at = connection.ops.convert_datetimefield_value(withdrawn_at, None, connection)
    return BookDetailRow(*found[:16], bool(found[16]), withdrawn_at, authors)
