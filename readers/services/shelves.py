"""A member's reading shelves and favourites: one transaction per use case.

A shelf write locks the book's row first: concurrent writes of one member's entry for the book
(two PUTs at once, a return marked as read) queue on that lock, so the one-shelf-per-book rule
never meets its unique constraint, and the book's `want_to_read_count` stays equal to its rows.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F

from catalog.errors import BookNotFound
from catalog.models import Book
from catalog.services import catalog_changed, existing_book_for_update, listed_book_for_update
from readers.errors import FavouriteNotFound, ShelfEntryNotFound
from readers.models import Favourite, Shelf, ShelfEntry


@dataclass(frozen=True)
class ShelfPlacement:
    """Where the book now is on the member's shelves, with the book's want-to-read figure."""

    shelf: str
    added_at: datetime
    want_to_read_count: int


def _wanted(shelf: str | None) -> int:
    return 1 if shelf == Shelf.WANT_TO_READ else 0


def _move_want_to_read(book: Book, delta: int) -> None:
    """Move the locked book's want-to-read figure by `delta`; cached catalog pages follow."""
    if not delta:
        return
    Book.objects.filter(pk=book.pk).update(want_to_read_count=F("want_to_read_count") + delta)
    book.want_to_read_count += delta
    catalog_changed()


def shelf_put(
    *, customer_id: int, book_id: int, shelf: str, returning: bool = False
) -> ShelfPlacement:
    """Put the book on `shelf` of the member, moving it from the shelf it was on (a book is on at
    most one). Putting it on the shelf it is already on changes nothing, `added_at` included.
    A withdrawn book is refused (410), unless the member is `returning` it marked as read: the
    loan ran, and their shelf says so (it shows once the book is reinstated)."""
    with transaction.atomic():
        lock = existing_book_for_update if returning else listed_book_for_update
        book = lock(book_id)
        entry = ShelfEntry.objects.filter(customer_id=customer_id, book_id=book_id).first()
        before = None if entry is None else entry.shelf
        if entry is None:
            entry = ShelfEntry.objects.create(customer_id=customer_id, book_id=book_id, shelf=shelf)
        elif entry.shelf != shelf:
            entry.shelf = shelf
            entry.save(update_fields=["shelf", "added_at"])
        _move_want_to_read(book, _wanted(shelf) - _wanted(before))
    return ShelfPlacement(entry.shelf, entry.added_at, book.want_to_read_count)


def shelf_remove(*, customer_id: int, book_id: int) -> None:
    """Take the book off the member's shelves (404 when it is on none)."""
    with transaction.atomic():
        book = existing_book_for_update(book_id)
        entry = ShelfEntry.objects.filter(customer_id=customer_id, book_id=book_id).first()
        if entry is None:
            raise ShelfEntryNotFound()
        entry.delete()
        _move_want_to_read(book, -_wanted(entry.shelf))


def favourite_add(*, customer_id: int, book_id: int) -> Favourite:
    """Add the book to the member's favourites; a book already there stays as it was. The book's
    lock orders two adds at once, and makes an unknown book a 404 rather than a failed commit; a
    withdrawn book is refused (410)."""
    with transaction.atomic():
        listed_book_for_update(book_id)
        favourite, _ = Favourite.objects.get_or_create(customer_id=customer_id, book_id=book_id)
    return favourite


def favourite_remove(*, customer_id: int, book_id: int) -> None:
    """Take the book out of the member's favourites (404 when it is not there)."""
    with transaction.atomic():
        removed, _ = Favourite.objects.filter(customer_id=customer_id, book_id=book_id).delete()
        if not removed:
            if not Book.objects.filter(pk=book_id).exists():
                raise BookNotFound()
            raise FavouriteNotFound()
