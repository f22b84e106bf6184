"""Reads of the catalog: querysets that cost a fixed number of queries per page."""

import logging
import time
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Author, Book, City, Genre, normalize_isbn
from reservations.models import Reservation

logger = logging.getLogger(__name__)

POPULARITY_WINDOW = timedelta(days=30)


def _popularity_since():
    return timezone.now() - POPULARITY_WINDOW


def book_popularity() -> Coalesce:
    """Reservations of the book that started in the last 30 days, as a correlated subquery:
    the database computes it only for the rows it returns unless the page is ordered by it."""
    started_recently = (
        Reservation.objects.filter(book=OuterRef("pk"), starts_at__gte=_popularity_since())
        .order_by()
        .values("book")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(started_recently, output_field=IntegerField()), Value(0))


def catalog_versions(*, also: tuple[str, ...] = ()) -> tuple[tuple[int, int] | None, dict]:
    """The (structure, units) versions cached pages are checked against (`catalog.services.
    catalog_changed`), and the cache entries named in `also`, read in the same round trip.
    The versions are None when the cache is unreachable, and then nothing is cached."""
    from catalog.services import STRUCTURE_VERSION_KEY, UNITS_VERSION_KEY

    keys = (STRUCTURE_VERSION_KEY, UNITS_VERSION_KEY)
    try:
        found = cache.get_many([*keys, *also])
        for key in keys:
            if key not in found:  # first use, or evicted: a number no earlier version used
                cache.add(key, time.time_ns(), timeout=None)
                found[key] = cache.get(key)
    except Exception:
        logger.warning("catalog versions unavailable: pages are not cached", exc_info=True)
        return None, {}
    if None in (found[k] for k in keys):
        return None, {}
    return (found[STRUCTURE_VERSION_KEY], found[UNITS_VERSION_KEY]), found


def book_list() -> QuerySet[Book]:
    """Books with their genre, authors and popularity: three queries a page (count, rows, authors)."""
    return (
        Book.objects.select_related("genre")
        .prefetch_related("authors")
        .annotate(popularity=book_popularity())
    )


BOOK_ROW_FIELDS = (
    "id",
    "title",
    "isbn",
    "description",
    "genre_id",
    "genre_name",
    "published_year",
    "total_units",
    "available_units",
    "popularity",
)


def book_rows() -> QuerySet:
    """`book_list` as plain rows: what the public browse renders, without building model
    instances (for 20 to 100 books a page that cost more than the queries). Authors come from
    `authors_by_book`: two queries a page, three with the count."""
    return Book.objects.annotate(popularity=book_popularity(), genre_name=F("genre__name")).values(
        *BOOK_ROW_FIELDS
    )


def authors_by_book(book_ids: list[int]) -> dict[int, list[dict]]:
    """`{book id: [{id, name}, ...]}` in the authors' own order (name, id): one query."""
    links = (
        Book.authors.through.objects.filter(book_id__in=book_ids)
        .order_by("author__name", "author_id")
        .values_list("book_id", "author_id", "author__name")
    )
    authors: dict[int, list[dict]] = {book_id: [] for book_id in book_ids}
    for book_id, author_id, name in links:
        authors[book_id].append({"id": author_id, "name": name})
    return authors


def book_popular_list() -> QuerySet[Book]:
    """Books reserved in the last 30 days, most reserved first."""
    recent = Reservation.objects.filter(starts_at__gte=_popularity_since()).values("book_id")
    return book_list().filter(pk__in=recent).order_by("-popularity", "title", "id")


def book_search(queryset: QuerySet[Book], text: str) -> QuerySet[Book]:
    """Title, description, ISBN or an author's name contains `text` (case-insensitive).

    Written as `id IN (books matching by their own columns UNION books of matching authors)` so
    that on PostgreSQL each branch uses its trigram index (migration 0002) instead of one OR
    across a join that forces a scan of the whole catalog.
    """
    term = text.strip()
    if not term:
        return queryset
    isbn_term = normalize_isbn(term)
    own_columns = Q(title__icontains=term) | Q(description__icontains=term)
    if isbn_term:
        own_columns |= Q(isbn__icontains=isbn_term)
    by_own_columns = Book.objects.order_by().filter(own_columns).values("pk")
    by_author = (
        Book.authors.through.objects.order_by()
        .filter(author__name__icontains=term)
        .values("book_id")
    )
    return queryset.filter(pk__in=by_own_columns.union(by_author))


def author_list() -> QuerySet[Author]:
    return (
        Author.objects.select_related("city")
        .annotate(book_count=Count("books"))
        .order_by("name", "id")
    )


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.annotate(book_count=Count("books")).order_by("name", "id")


def city_list() -> QuerySet[City]:
    return City.objects.all()
