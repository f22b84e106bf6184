"""Reads of a member's shelves and favourites. The lists are the catalog's own book rows
(`catalog.selectors.book_rows`) narrowed to the member's books, so every filter, ordering and
representation of the catalog's browse applies to them unchanged."""

from django.db.models import Count, F, QuerySet

from catalog.errors import BookNotFound
from catalog.models import Book
from catalog.selectors import book_rows
from readers.errors import FavouriteNotFound, ListNotFound, ShelfEntryNotFound
from readers.models import Favourite, Shelf, ShelfEntry

FAVOURITES = "favourites"
LISTS = (*(choice.value for choice in Shelf), FAVOURITES)


def _missing(book_id: int, error: Exception) -> Exception:
    """`error`, or the catalog's own not-found when the book itself does not exist."""
    return error if Book.objects.filter(pk=book_id).exists() else BookNotFound()


def shelf_entry_of(*, customer_id: int, book_id: int) -> ShelfEntry:
    """The member's shelf entry for the book; 404 when there is none (or no such book)."""
    entry = ShelfEntry.objects.filter(customer_id=customer_id, book_id=book_id).first()
    if entry is None:
        raise _missing(book_id, ShelfEntryNotFound())
    return entry


def favourite_of(*, customer_id: int, book_id: int) -> Favourite:
    """The member's favourite mark on the book; 404 when there is none (or no such book)."""
    favourite = Favourite.objects.filter(customer_id=customer_id, book_id=book_id).first()
    if favourite is None:
        raise _missing(book_id, FavouriteNotFound())
    return favourite


def list_books(*, customer_id: int | None, name: str) -> QuerySet:
    """The rows of `book_rows` for the books on the member's list `name` (a shelf or
    `favourites`), each with the `added_at` of its entry: one join, so a page costs what a page
    of the catalog costs. No member (`customer_id` None): no books."""
    if name not in LISTS:
        raise ListNotFound()
    if name == FAVOURITES:
        rows = book_rows().filter(favourited__customer_id=customer_id)
        rows = rows.annotate(added_at=F("favourited__added_at"))
    else:
        rows = book_rows().filter(shelved__customer_id=customer_id, shelved__shelf=name)
        rows = rows.annotate(added_at=F("shelved__added_at"))
    return rows if customer_id is not None else rows.none()


def list_counts(*, customer_id: int | None) -> dict[str, int]:
    """How many books are on each of the member's lists: two queries (none without a member).
    Withdrawn books are not counted, as the lists do not show them."""
    counts = dict.fromkeys(LISTS, 0)
    if customer_id is None:
        return counts
    shelves = (
        ShelfEntry.objects.filter(customer_id=customer_id, book__withdrawn_at__isnull=True)
        .order_by()
        .values("shelf")
        .annotate(books=Count("id"))
    )
    counts.update({row["shelf"]: row["books"] for row in shelves})
    counts[FAVOURITES] = Favourite.objects.filter(
        customer_id=customer_id, book__withdrawn_at__isnull=True
    ).count()
    return counts
