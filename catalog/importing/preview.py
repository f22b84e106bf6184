"""What importing drafts would do to the catalog, decided record by record: create a book,
update one (matched by ISBN), leave one unchanged, or refuse the record and say why. Drafts are
compared in batches, one query per batch, so a file of any length costs memory for one batch."""

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.utils.translation import gettext as _

from catalog.importing.marc import BookDraft
from catalog.models import Author, Book, Genre

CREATE, UPDATE, UNCHANGED, REFUSE, FAILED = "create", "update", "unchanged", "refuse", "failed"
# FAILED: the record's batch could not be written (the database refused it); nothing of the
# batch was kept, and the batches before it stay.
ACTIONS = (CREATE, UPDATE, UNCHANGED, REFUSE, FAILED)
BATCH_SIZE = 500

TITLE_MAX = Book._meta.get_field("title").max_length
GENRE_MAX = Genre._meta.get_field("name").max_length
AUTHOR_MAX = Author._meta.get_field("name").max_length
COPIES_MAX = 2**31 - 1  # the largest `total_units` the column holds


@dataclass(frozen=True)
class Outcome:
    """What one record of the file does; `reasons` say why a record is refused."""

    number: int
    isbn: str | None
    title: str
    action: str
    reasons: tuple[str, ...] = ()


def batches(drafts: Iterable[BookDraft], size: int) -> Iterator[list[BookDraft]]:
    iterator = iter(drafts)
    while batch := list(islice(iterator, size)):
        yield batch


def stored_books(drafts: list[BookDraft], *, lock: bool = False) -> dict[str, Book]:
    """The stored books the drafts name by ISBN, with their genre and authors (two queries);
    `lock`: their rows locked (in id order, as every multi-book write takes them) until the
    transaction ends, so that no loan starts between the decision and the write."""
    isbns = [d.isbn for d in drafts if d.isbn]
    books = Book.objects.filter(isbn__in=isbns).select_related("genre").prefetch_related("authors")
    if lock:
        books = books.select_for_update(of=("self",)).order_by("id")
    return {book.isbn: book for book in books}


def _folded(names: Iterable[str]) -> set[str]:
    return {name.casefold() for name in names}


def _changes(book: Book, draft: BookDraft) -> bool:
    """Would the draft change the stored book (names compared as the import matches them)?"""
    return (
        book.title != draft.title
        or (draft.description and book.description != draft.description)
        or book.published_year != draft.published_year
        or (draft.genre is not None and book.genre.name.casefold() != draft.genre.casefold())
        or (draft.authors and _folded(a.name for a in book.authors.all()) != _folded(draft.authors))
        or (draft.copies is not None and book.total_units != draft.copies)
    )


def _storable(draft: BookDraft) -> list[str]:
    """What the catalog's columns cannot hold."""
    reasons = []
    texts = (draft.title, draft.description, draft.genre or "", *draft.authors)
    if any("\x00" in text for text in texts):
        reasons.append(_("a NUL character in the text"))
    if draft.copies is not None and draft.copies > COPIES_MAX:
        reasons.append(_("more than %(max)s copies") % {"max": COPIES_MAX})
    if len(draft.title) > TITLE_MAX:
        reasons.append(_("title longer than %(max)s characters") % {"max": TITLE_MAX})
    if draft.genre is not None and len(draft.genre) > GENRE_MAX:
        reasons.append(_("genre longer than %(max)s characters") % {"max": GENRE_MAX})
    if any(len(name) > AUTHOR_MAX for name in draft.authors):
        reasons.append(_("an author's name longer than %(max)s characters") % {"max": AUTHOR_MAX})
    return reasons


class SeenIsbns:
    """The ISBNs met so far in the file, each with the record that first had it. They are kept
    in a private temporary SQLite file, not in memory, so that checking a file of any length for
    repeated ISBNs costs a batch's worth of memory."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary file, deleted when closed
        self._db.execute("CREATE TABLE seen (isbn INTEGER PRIMARY KEY, number INTEGER NOT NULL)")

    def first_records(self, isbns: list[str]) -> dict[str, int]:
        """The record that first had each of these ISBNs, for those met before."""
        marks = ",".join("?" * len(isbns))
        rows = self._db.execute(
            f"SELECT isbn, number FROM seen WHERE isbn IN ({marks})",
            [int(isbn) for isbn in isbns],
        )
        return {f"{isbn:013d}": number for isbn, number in rows}

    def add(self, first_records: dict[str, int]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)",
            [(int(isbn), number) for isbn, number in first_records.items()],
        )

    def close(self) -> None:
        self._db.close()


class Decider:
    """Decides each record's outcome, batch after batch, remembering the ISBNs met earlier in
    the file (a later record with the same ISBN is refused). Close it when done."""

    def __init__(self) -> None:
        self.seen = SeenIsbns()

    def __enter__(self) -> "Decider":
        return self

    def __exit__(self, *exc_info) -> None:
        self.seen.close()

    @staticmethod
    def outcome(draft: BookDraft, book: Book | None, first_seen: dict[str, int]) -> Outcome:
        reasons = list(draft.problems) + _storable(draft)
        if draft.isbn in first_seen:
            reasons.append(
                _("duplicate ISBN in the file (record %(number)s)")
                % {"number": first_seen[draft.isbn]}
            )
        elif draft.isbn:
            first_seen[draft.isbn] = draft.number
        if book is not None and draft.copies is not None:
            on_loan = book.total_units - book.available_units
            if draft.copies < on_loan:
                reasons.append(
                    _("%(copies)s copies, but %(on_loan)s are on loan")
                    % {"copies": draft.copies, "on_loan": on_loan}
                )
        if draft.copies is not None and draft.copies < 1:
            reasons.append(_("no copies"))
        if book is None and not draft.authors:
            reasons.append(_("no author"))
        if reasons:
            action = REFUSE
        elif book is None:
            action = CREATE
        else:
            action = UPDATE if _changes(book, draft) else UNCHANGED
        return Outcome(draft.number, draft.isbn, draft.title, action, tuple(reasons))

    def batch(self, drafts: list[BookDraft], stored: dict[str, Book]) -> list[Outcome]:
        """The batch's outcomes; its ISBNs are remembered for the batches after it (also when
        its writing fails: its records were in the file all the same)."""
        first_seen = self.seen.first_records([d.isbn for d in drafts if d.isbn])
        earlier = set(first_seen)
        outcomes = [
            self.outcome(d, stored.get(d.isbn) if d.isbn else None, first_seen) for d in drafts
        ]
        self.seen.add({isbn: n for isbn, n in first_seen.items() if isbn not in earlier})
        return outcomes


def preview(drafts: Iterable[BookDraft], *, batch_size: int = BATCH_SIZE) -> Iterator[Outcome]:
    """The outcome of each draft, in file order, without writing (a record naming no copies
    leaves a stored book's copies alone). A record with problems, a later record with an ISBN
    seen earlier in the file, a new book without an author, and fewer copies than are on loan
    are refused."""
    with Decider() as decider:
        for batch in batches(drafts, batch_size):
            yield from decider.batch(batch, stored_books(batch))
