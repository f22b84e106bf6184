"""Writes of the catalog: one function per use case, each its own transaction.

Every book write first settles the book's due reservations (so it counts the units they free,
and no member is blocked by a reservation whose time has passed), then takes the book's row lock
before reading what it changes (lock order: book → queue entries → wallet).
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import hooks
from catalog.errors import (
    AuthorIsSoleAuthor,
    AuthorProfileExists,
    BookHasHistory,
    BookInUse,
    BookNotFound,
    BookWithdrawn,
    GenreInUse,
    RatingNotFound,
)
from catalog.models import (
    Author,
    Book,
    City,
    CopyChange,
    CopyChangeReason,
    Genre,
    Rating,
    rating_average,
)
from core.versioned_cache import bump_versions_on_commit

logger = logging.getLogger(__name__)

BOOK_EDITABLE_FIELDS = ("title", "isbn", "description", "genre", "published_year")

# Cached catalog pages and counts are keyed by these two numbers (`catalog.selectors.
# catalog_versions`): `units` moves with every change of a book's units, reservations or ratings
# (available_units, popularity, rating_average and rating_count), `structure` with every change
# of books, authors and genres.
STRUCTURE_VERSION_KEY = "catalog:version:structure"
UNITS_VERSION_KEY = "catalog:version:units"


def catalog_changed(*, structure: bool = False) -> None:
    """What catalog pages show changes when the current transaction commits: from then on, pages
    and counts cached before are never served again.

    `structure`: books, authors or genres changed (else only units, reservations and so
    popularity, or ratings). Bumped after commit so that no reader can cache the old rows under
    the new version.
    """
    keys = [UNITS_VERSION_KEY, STRUCTURE_VERSION_KEY] if structure else [UNITS_VERSION_KEY]
    bump_versions_on_commit(keys)


AUTHOR_EDITABLE_FIELDS = ("name", "bio", "city")
NAMED_EDITABLE_FIELDS = ("name",)


def book_for_update(book_id: int) -> Book:
    """The book's row, locked until the end of the current transaction."""
    return Book.objects.select_for_update().get(pk=book_id)


def existing_book_for_update(book_id: int) -> Book:
    """`book_for_update`, or 404 `not_found` when there is no such book."""
    try:
        return book_for_update(book_id)
    except Book.DoesNotExist as error:
        raise BookNotFound() from error


def listed_book_for_update(book_id: int) -> Book:
    """`existing_book_for_update`, or 410 `book_withdrawn` when the book is withdrawn: what a
    member adds about a book (a rating, a review, a shelf, a like) needs it in the catalog."""
    book = existing_book_for_update(book_id)
    if book.is_withdrawn:
        raise BookWithdrawn()
    return book


def _count_rating(book: Book, *, count: int, total: int) -> None:
    """Move the locked book's rating figures by `count` ratings and `total` points."""
    book.rating_count += count
    book.rating_sum += total
    book.rating_average = rating_average(total=book.rating_sum, count=book.rating_count)
    Book.objects.filter(pk=book.pk).update(
        rating_count=book.rating_count,
        rating_sum=book.rating_sum,
        rating_average=book.rating_average,
    )
    catalog_changed()


def rating_set(*, customer_id: int, book_id: int, score: int) -> Rating:
    """The member's score of the book, replacing the one they gave before. The book's row lock
    orders concurrent ratings of it, so its count and average stay exact."""
    rating = Rating(book_id=book_id, customer_id=customer_id, score=score)
    # The score's own validators; the one-per-member rule is kept by the lock and the update below.
    rating.full_clean(
        exclude=["book", "customer"], validate_unique=False, validate_constraints=False
    )
    with transaction.atomic():
        book = listed_book_for_update(book_id)
        previous = Rating.objects.filter(book_id=book_id, customer_id=customer_id).first()
        if previous is None:
            rating.save()
            _count_rating(book, count=1, total=score)
        else:
            _count_rating(book, count=0, total=score - previous.score)
            previous.score = score
            previous.save(update_fields=["score", "updated_at"])
            rating = previous
    rating.book = book
    return rating


def rating_remove(*, customer_id: int, book_id: int) -> None:
    """Withdraw the member's score of the book (404 when they gave none)."""
    with transaction.atomic():
        book = existing_book_for_update(book_id)
        rating = Rating.objects.filter(book_id=book_id, customer_id=customer_id).first()
        if rating is None:
            raise RatingNotFound()
        rating.delete()
        _count_rating(book, count=-1, total=-rating.score)


def _require_authors(authors: Iterable[Author]) -> list[Author]:
    authors = list(dict.fromkeys(authors))
    if not authors:
        raise ValidationError({"authors": _("A book needs at least one author.")})
    return authors


def book_create(
    *,
    created_by: User,
    title: str,
    isbn: str,
    genre: Genre,
    published_year: int,
    total_units: int,
    description: str = "",
    authors: Iterable[Author] = (),
) -> Book:
    """A new title; the creator's author profile (if any) is always one of its authors."""
    authors = list(authors)
    own_profile = Author.objects.filter(user=created_by).first()
    if own_profile is not None:
        authors.insert(0, own_profile)
    authors = _require_authors(authors)
    book = Book(
        title=title,
        isbn=isbn,
        description=description,
        genre=genre,
        published_year=published_year,
        total_units=total_units,
        available_units=total_units,
    )
    book.full_clean()
    with transaction.atomic():
        book.save()
        book.authors.set(authors)
        catalog_changed(structure=True)
    return book


def book_update(
    *,
    book: Book,
    data: dict[str, Any],
    changed_by: User | None = None,
    units_reason: str = CopyChangeReason.CORRECTED,
    units_note: str = "",
) -> Book:
    """Change a book's fields, authors and `total_units`.

    Raising `total_units` releases units: the reservations service serves the waiting queue and
    puts the rest on the shelf. Lowering it removes free units only (409 `units_on_loan`). Each
    change of `total_units` is recorded as a `CopyChange` (who, from, to, `units_reason`,
    `units_note`) in the same transaction.
    """
    if units_reason not in CopyChangeReason.values:
        raise ValidationError(
            {
                "units_change_reason": _("Not one of %(choices)s.")
                % {"choices": CopyChangeReason.values}
            }
        )
    hooks.settle_books(book_ids=[book.pk])
    authors = _require_authors(data["authors"]) if "authors" in data else None
    with transaction.atomic():
        book = book_for_update(book.pk)
        for field in BOOK_EDITABLE_FIELDS:
            if field in data:
                setattr(book, field, data[field])
        added = 0
        old_total = book.total_units
        new_total = data.get("total_units", book.total_units)
        if new_total < book.total_units:
            book.remove_units(book.total_units - new_total)
        elif new_total > book.total_units:
            added = new_total - book.total_units
            book.add_units(added)
        book.full_clean()
        book.save()
        if authors is not None:
            book.authors.set(authors)
        if new_total != old_total:
            CopyChange.objects.create(
                book=book,
                changed_by=changed_by,
                from_units=old_total,
                to_units=new_total,
                reason=units_reason,
                note=units_note,
            )
        if added:
            hooks.book_units_added(book=book, added=added)
        catalog_changed(structure=True)
    return book


def book_withdraw(*, book: Book, by: User | None, reason: str = "") -> Book:
    """Take a book out of the catalog without deleting it (409 `already_withdrawn` the second
    time): it leaves lists and search, takes no new reserve, and everyone waiting for it is
    dropped and told (`hooks.book_withdrawn`). Current loans run to their end; their copies come
    back to `available_units` but no queue is served, so a reinstated book has every copy."""
    with transaction.atomic():
        book = book_for_update(book.pk)
        at = timezone.now()
        book.withdraw(at=at, by=by, reason=reason)
        book.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "updated_at"])
        hooks.book_withdrawn(book=book, at=at)
        catalog_changed(structure=True)
    return book


def book_reinstate(*, book: Book, by: User | None) -> Book:
    """Bring a withdrawn book back to lists, search and reserves (409 `not_withdrawn` otherwise),
    with every copy not on loan on the shelf. Nobody waits for it: the queue was dropped."""
    with transaction.atomic():
        book = book_for_update(book.pk)
        book.reinstate()
        book.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "updated_at"])
        catalog_changed(structure=True)
    logger.info("book %s reinstated by %s", book.pk, getattr(by, "pk", None))
    return book


def book_delete(*, book: Book) -> None:
    """Delete a book nobody holds or waits for (409 `book_in_use`) and with no loan history."""
    hooks.settle_books(book_ids=[book.pk])
    with transaction.atomic():
        book = book_for_update(book.pk)
        if hooks.book_in_use(book_id=book.pk):
            raise BookInUse()
        try:
            book.delete()
        except ProtectedError as error:
            raise BookHasHistory() from error
        catalog_changed(structure=True)


def author_create(
    *,
    name: str,
    user: User | None = None,
    bio: str = "",
    city: City | None = None,
) -> Author:
    """An author profile, linked to `user` when given (one profile per user: 409)."""
    if user is not None and Author.objects.filter(user=user).exists():
        raise AuthorProfileExists()
    author = Author(name=name, user=user, bio=bio, city=city)
    author.full_clean()
    author.save()
    catalog_changed(structure=True)
    return author


def author_update(*, author: Author, data: dict[str, Any]) -> Author:
    for field in AUTHOR_EDITABLE_FIELDS:
        if field in data:
            setattr(author, field, data[field])
    author.full_clean()
    author.save()
    catalog_changed(structure=True)
    return author


def author_delete(*, author: Author) -> None:
    """Delete an author profile unless some book would be left without any author (409)."""
    with transaction.atomic():
        sole_books = list(
            Book.objects.filter(pk__in=author.books.values("pk"))
            .annotate(author_count=Count("authors"))
            .filter(author_count=1)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if sole_books:
            raise AuthorIsSoleAuthor(book_ids=sole_books)
        author.delete()
        catalog_changed(structure=True)


def _named_save(instance: Genre | City, data: dict[str, Any]) -> Genre | City:
    """Genres and cities: a name unique without regard to case (the database enforces it too)."""
    for field in NAMED_EDITABLE_FIELDS:
        if field in data:
            setattr(instance, field, data[field].strip())
    model = type(instance)
    if model.objects.filter(name__iexact=instance.name).exclude(pk=instance.pk).exists():
        raise ValidationError(
            {
                "name": _("A %(kind)s with this name already exists.")
                % {"kind": model._meta.verbose_name}
            }
        )
    instance.full_clean()
    instance.save()
    if isinstance(instance, Genre):
        catalog_changed(structure=True)
    return instance


def genre_create(*, name: str) -> Genre:
    return _named_save(Genre(), {"name": name})


def genre_update(*, genre: Genre, data: dict[str, Any]) -> Genre:
    return _named_save(genre, data)


def genre_delete(*, genre: Genre) -> None:
    """A genre with books stays (books must have a genre): 409 `genre_in_use`."""
    try:
        with transaction.atomic():
            genre.delete()
    except ProtectedError as error:
        raise GenreInUse() from error


def city_create(*, name: str) -> City:
    return _named_save(City(), {"name": name})


def city_update(*, city: City, data: dict[str, Any]) -> City:
    return _named_save(city, data)


def city_delete(*, city: City) -> None:
    """Authors and customers of the city keep their profile with no city."""
    city.delete()
