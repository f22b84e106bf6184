"""What importing drafts would do to the catalog, decided record by record without writing:
create a book, update one (matched by ISBN), leave one unchanged, or refuse the record and say
why. Drafts are compared in batches, one query per batch, so a file of any length costs memory
for one batch."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from catalog.importing.marc import BookDraft
from catalog.models import Book

CREATE, UPDATE, UNCHANGED, REFUSE = "create", "update", "unchanged", "refuse"
BATCH_SIZE = 500


@dataclass(frozen=True)
class Outcome:
    """What one record of the file would do; `reasons` say why a record is refused."""

    number: int
    isbn: str | None
    title: str
    action: str
    reasons: tuple[str, ...] = ()


def _batches(drafts: Iterable[BookDraft], size: int) -> Iterator[list[BookDraft]]:
    iterator = iter(drafts)
    while batch := list(islice(iterator, size)):
        yield batch


def _stored(isbns: list[str]) -> dict[str, Book]:
    books = Book.objects.filter(isbn__in=isbns).select_related("genre").prefetch_related("authors")
    return {book.isbn: book for book in books}


def _folded(names: Iterable[str]) -> set[str]:
    return {name.casefold() for name in names}


def _changes(book: Book, draft: BookDraft, copies: int | None) -> bool:
    """Would the draft change the stored book (names compared as the import matches them)?"""
    return (
        book.title != draft.title
        or (draft.description and book.description != draft.description)
        or book.published_year != draft.published_year
        or (draft.genre is not None and book.genre.name.casefold() != draft.genre.casefold())
        or (draft.authors and _folded(a.name for a in book.authors.all()) != _folded(draft.authors))
        or (copies is not None and book.total_units != copies)
    )


def preview(drafts: Iterable[BookDraft], *, batch_size: int = BATCH_SIZE) -> Iterator[Outcome]:
    """The outcome of each draft, in file order (a record naming no copies leaves a stored
    book's copies alone). A record with problems, a later record with an ISBN seen earlier in
    the file, and fewer copies than are on loan are refused."""
    first_seen: dict[str, int] = {}
    for batch in _batches(drafts, batch_size):
        stored = _stored([d.isbn for d in batch if d.isbn])
        for draft in batch:
            reasons = list(draft.problems)
            if draft.isbn in first_seen:
                reasons.append(f"duplicate ISBN in the file (record {first_seen[draft.isbn]})")
            elif draft.isbn:
                first_seen[draft.isbn] = draft.number
            book = stored.get(draft.isbn) if draft.isbn else None
            if book is not None and draft.copies is not None:
                on_loan = book.total_units - book.available_units
                if draft.copies < on_loan:
                    reasons.append(f"{draft.copies} copies, but {on_loan} are on loan")
            if draft.copies is not None and draft.copies < 1:
                reasons.append("no copies")
            if reasons:
                action = REFUSE
            elif book is None:
                action = CREATE
            else:
                action = UPDATE if _changes(book, draft, draft.copies) else UNCHANGED
            yield Outcome(draft.number, draft.isbn, draft.title, action, tuple(reasons))
