"""What the catalog asks reservations, the app above it: a book's reservations decide its
popularity, its free units and whether it may be deleted, a withdrawn book's queue is dropped,
and due reservations are settled before a book is shown. The answers are registered in
`reservations.apps`. See `core.hooks`."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Expression, QuerySet

from core.hooks import Hook


class SettleBooks(Protocol):
    def __call__(self, *, book_ids: list[int] | None, now: datetime | None = None) -> int: ...


class BookUnitsAdded(Protocol):
    def __call__(self, *, book: Any, added: int) -> None: ...


class BookWithdrawn(Protocol):
    def __call__(self, *, book: Any, at: datetime) -> None: ...


class BookInUse(Protocol):
    def __call__(self, *, book_id: int) -> bool: ...


class BookAdminContext(Protocol):
    def __call__(self, *, user: Any, book_id: int) -> dict: ...


# End the due reservations of the books (all when None) and serve their queues, so no reader sees
# a reservation whose time has passed; returns how many ended. Callers call it before they read.
settle_books = Hook[SettleBooks]("catalog.settle_books")

# The settlement horizon: the cache keys it is stored under, and whether what a `get_many` of
# them found says nothing can be due at the moment (then a read skips settling).
settlement_horizon_keys = Hook[Callable[[], tuple[str, ...]]]("catalog.settlement_horizon_keys")
nothing_due = Hook[Callable[[datetime, dict], bool]]("catalog.nothing_due")

# Units added to a book (inside the write's transaction, the book locked): its queue is served.
book_units_added = Hook[BookUnitsAdded]("catalog.book_units_added")

# A book was withdrawn (inside the write's transaction, the book locked): everyone waiting for it
# is dropped and told, once, after the commit. Without the reservations app nobody waits.
book_withdrawn = Hook[BookWithdrawn]("catalog.book_withdrawn", default=lambda **_: None)

# A book someone holds or waits for cannot be deleted.
book_in_use = Hook[BookInUse]("catalog.book_in_use")

# Popularity: the book's reservations started since the moment, as an expression on Book rows;
# the ids of the books with one (a `values("book_id")` queryset).
popularity_since = Hook[Callable[[datetime], Expression]]("catalog.popularity_since")
books_reserved_since = Hook[Callable[[datetime], QuerySet]]("catalog.books_reserved_since")

# The book page's statement: SQL for the book's popularity (one `%s`: since) and for whether
# settlement has work on it (two `%s`: the moment), on the book table's quoted name.
book_page_sql = Hook[Callable[[str], tuple[str, str]]]("catalog.book_page_sql")

# The admin's book page lists who holds the book and who waits for it. Without the reservations
# app a book has no holders, and the page shows none.
book_admin_context = Hook[BookAdminContext]("catalog.book_admin_context", default=lambda **_: {})
