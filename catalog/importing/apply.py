"""Importing drafts into the catalog: each batch decided as the dry run decides it, then written
in its own transaction, so a batch the database refuses is reported as failed and the batches
before it stay. Books are matched by ISBN, so importing the same file again changes nothing.

New books are inserted in bulk (a few queries per batch, whatever its size); a changed book goes
through `book_update`, so raised copies serve the hold queue first, exactly as an edit does.
Authors and genres are matched by name without regard to case, and created when missing.
"""

import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.importing.marc import BookDraft
from catalog.importing.preview import (
    BATCH_SIZE,
    CREATE,
    FAILED,
    UPDATE,
    Decider,
    Outcome,
    batches,
    stored_books,
)
from catalog.models import Author, Book, Genre
from catalog.services import book_update, catalog_changed

logger = logging.getLogger(__name__)


def _by_name(model: type[Author] | type[Genre], names: Iterable[str]) -> dict[str, Author | Genre]:
    """The rows of `model` named so (lower-cased names as keys; the oldest row of a name wins),
    the missing ones created."""
    wanted = {name.lower(): name for name in names}
    if not wanted:
        return {}
    found: dict[str, Author | Genre] = {}
    rows = model.objects.annotate(key=Lower("name")).filter(key__in=list(wanted)).order_by("-id")
    for row in rows:
        found[row.key] = row
    missing = [model(name=name) for key, name in wanted.items() if key not in found]
    for row in model.objects.bulk_create(missing):
        found[row.name.lower()] = row
    return found


def _create(drafts: list[BookDraft], genres: dict, authors: dict) -> None:
    """The new books and their authors, in two inserts."""
    copies = settings.CATALOG_IMPORT_DEFAULT_COPIES
    default_genre = settings.CATALOG_IMPORT_DEFAULT_GENRE.lower()
    books = Book.objects.bulk_create(
        Book(
            title=draft.title,
            isbn=draft.isbn,
            description=draft.description,
            genre=genres[(draft.genre or default_genre).lower()],
            published_year=draft.published_year,
            total_units=draft.copies or copies,
            available_units=draft.copies or copies,
        )
        for draft in drafts
    )
    Book.authors.through.objects.bulk_create(
        Book.authors.through(book_id=book.pk, author_id=authors[name.lower()].pk)
        for book, draft in zip(books, drafts, strict=True)
        for name in draft.authors
    )


def _update(book: Book, draft: BookDraft, genres: dict, authors: dict, changed_by) -> None:
    """The stored book changed as the record says (its row is locked, so the copies on loan the
    decision counted are still the ones on loan)."""
    data = {"title": draft.title, "published_year": draft.published_year}
    if draft.description:
        data["description"] = draft.description
    if draft.genre is not None:
        data["genre"] = genres[draft.genre.lower()]
    if draft.authors:
        data["authors"] = [authors[name.lower()] for name in draft.authors]
    if draft.copies is not None:
        data["total_units"] = draft.copies
    book_update(book=book, data=data, changed_by=changed_by, units_reason="import")


def _write(batch: list[BookDraft], decider: Decider, changed_by: User | None) -> list[Outcome]:
    """One batch, in one transaction."""
    with transaction.atomic():
        stored = stored_books(batch, lock=True)
        outcomes = decider.batch(batch, stored)
        written = [
            (draft, outcome)
            for draft, outcome in zip(batch, outcomes, strict=True)
            if outcome.action in (CREATE, UPDATE)
        ]
        if not written:
            return outcomes
        genre_names = [d.genre or settings.CATALOG_IMPORT_DEFAULT_GENRE for d, _ in written]
        genres = _by_name(Genre, genre_names)
        authors = _by_name(Author, [name for d, _ in written for name in d.authors])
        _create([d for d, o in written if o.action == CREATE], genres, authors)
        for draft, outcome in written:
            if outcome.action == UPDATE:
                _update(stored[draft.isbn], draft, genres, authors, changed_by)
        catalog_changed(structure=True)
    return outcomes


def import_drafts(
    drafts: Iterable[BookDraft],
    *,
    dry_run: bool = False,
    changed_by: User | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[Outcome]:
    """Each record's outcome, in file order, as it is imported (or only decided, `dry_run`).
    `progress` is told how many records are done after each batch."""
    done = 0
    with Decider() as decider:
        for batch in batches(drafts, batch_size):
            if dry_run:
                outcomes = decider.batch(batch, stored_books(batch))
            else:
                try:
                    outcomes = _write(batch, decider, changed_by)
                except DatabaseError as error:
                    logger.exception(
                        "Import batch of records %s-%s failed", batch[0].number, batch[-1].number
                    )
                    reason = _("the batch was not written: %(error)s") % {
                        "error": type(error).__name__
                    }
                    outcomes = [
                        Outcome(d.number, d.isbn, d.title, FAILED, (reason,)) for d in batch
                    ]
            yield from outcomes
            done += len(batch)
            if progress is not None:
                progress(done)
