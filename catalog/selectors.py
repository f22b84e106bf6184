"""Reads of the catalog: querysets that cost a fixed number of queries per page."""

import logging
from datetime import datetime, timedelta

from django.db.models import Count, Expression, F, Field, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog import hooks, sql
from catalog.errors import BookNotFound, RatingNotFound
from catalog.models import Author, Book, City, Genre, Rating, normalize_isbn
from catalog.services import STRUCTURE_VERSION_KEY, UNITS_VERSION_KEY
from core.versioned_cache import read_versions

logger = logging.getLogger(__name__)

POPULARITY_WINDOW = timedelta(days=30)


def _popularity_since():
    return timezone.now() - POPULARITY_WINDOW


def book_popularity() -> Expression:
    """Reservations of the book that started in the last 30 days (the reservations app counts
    them: `hooks.popularity_since`)."""
    return hooks.popularity_since(_popularity_since())


def catalog_versions(*, also: tuple[str, ...] = ()) -> tuple[tuple[int, int] | None, dict]:
    """The (structure, units) versions cached pages are checked against (`catalog.services.
    catalog_changed`), and the cache entries named in `also`, read in the same round trip.
    The versions are None when the cache is unreachable, and then nothing is cached."""
    keys = (STRUCTURE_VERSION_KEY, UNITS_VERSION_KEY)
    try:
        found = read_versions(keys, also=also)
    except Exception:
        logger.warning("catalog versions unavailable: pages are not cached", exc_info=True)
        return None, {}
    if None in (found[k] for k in keys):
        return None, {}
    return (found[STRUCTURE_VERSION_KEY], found[UNITS_VERSION_KEY]), found


# What readers browse: the books not withdrawn. Every list, search and reading list starts here.
LISTED = Q(withdrawn_at__isnull=True)


def book_list() -> QuerySet[Book]:
    """Books with their genre, authors and popularity: three queries a page (count, rows, authors).
    Withdrawn books are in it (the writes of their authors and staff look them up here); lists
    shown to readers filter them out (`LISTED`)."""
    return (
        Book.objects.select_related("genre")
        .prefetch_related("authors")
        .annotate(popularity=book_popularity())
    )


# The readers' figures kept on the book's row by the readers app's services.
READERS_FIGURES = ("like_count", "dislike_count", "review_count", "want_to_read_count")

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
    "rating_average",
    "rating_count",
    *READERS_FIGURES,
)


def book_rows(*, with_withdrawn: bool = False) -> QuerySet:
    """`book_list` as plain rows: what the public browse renders, without building model
    instances (for 20 to 100 books a page that costs more than the queries). On PostgreSQL each
    row carries its authors (one query a page, two with the count); elsewhere `with_authors`
    reads them in one more query. Withdrawn books only `with_withdrawn` (a book page's filter
    check, which answers for them itself)."""
    books = Book.objects.all() if with_withdrawn else Book.objects.filter(LISTED)
    rows = books.annotate(popularity=book_popularity(), genre_name=F("genre__name"))
    authors_sql = sql.book_authors_json_sql()
    if authors_sql is None:
        return rows.values(*BOOK_ROW_FIELDS)
    # psycopg2 decodes the JSON array itself; a plain Field adds no converter of its own.
    authors = RawSQL(authors_sql, (), output_field=Field())
    return rows.annotate(authors_json=authors).values(*BOOK_ROW_FIELDS, "authors_json")


def with_authors(rows: list[dict]) -> list[dict]:
    """Rows of `book_rows` with their `authors`, read in one query when the rows lack them."""
    if rows and "authors_json" in rows[0]:
        for row in rows:
            row["authors"] = row.pop("authors_json")
    elif rows and "authors" not in rows[0]:
        authors = authors_by_book([row["id"] for row in rows])
        for row in rows:
            row["authors"] = authors[row["id"]]
    return rows


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


def _as_book_row(row: sql.BookDetailRow) -> dict:
    """The page's row as `book_rows` gives a book, with `settlement_due` (and `authors` when the
    row has them)."""
    book = {
        "id": row.id,
        "title": row.title,
        "isbn": row.isbn,
        "description": row.description,
        "genre_id": row.genre_id,
        "genre_name": row.genre_name,
        "published_year": row.published_year,
        "total_units": row.total_units,
        "available_units": row.available_units,
        "popularity": row.popularity,
        "rating_average": row.rating_average,
        "rating_count": row.rating_count,
        **{name: getattr(row, name) for name in READERS_FIGURES},
        "settlement_due": row.settlement_due,
        "withdrawn_at": row.withdrawn_at,
    }
    if row.authors is not None:
        book["authors"] = row.authors
    return book


def book_detail(book_id: int, *, at: datetime) -> dict | None:
    """A book as `book_rows` gives it, with its authors, `withdrawn_at` and `settlement_due`
    (whether settlement has work on it at `at`: the caller settles it then and reads again), in
    one query. A withdrawn book is found too: who may see it is the caller's decision."""
    row = sql.book_detail_row(book_id, at=at, popular_since=POPULARITY_WINDOW)
    return None if row is None else with_authors([_as_book_row(row)])[0]


def book_popular_list() -> QuerySet[Book]:
    """Books reserved in the last 30 days, most reserved first."""
    recent = hooks.books_reserved_since(_popularity_since())
    return book_list().filter(LISTED, pk__in=recent).order_by("-popularity", "title", "id")


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


def rating_of(*, customer_id: int, book_id: int) -> Rating:
    """The member's rating of the book, with the book's figures; 404 when the book does not
    exist or they have not rated it."""
    rating = (
        Rating.objects.select_related("book")
        .filter(book_id=book_id, customer_id=customer_id)
        .first()
    )
    if rating is None:
        if not Book.objects.filter(pk=book_id).exists():
            raise BookNotFound()
        raise RatingNotFound()
    return rating


def author_list() -> QuerySet[Author]:
    return (
        Author.objects.select_related("city")
        .annotate(book_count=Count("books", filter=Q(books__withdrawn_at__isnull=True)))
        .order_by("name", "id")
    )


def genre_list() -> QuerySet[Genre]:
    """Genres with their books' count and summed ratings (`rating_sum`, `rating_count`: the
    genre's average weighs each rating once), read live from the books' rows in the list's own
    query: no cache to fall behind a book's write. Withdrawn books count for nothing."""
    listed = Q(books__withdrawn_at__isnull=True)
    return Genre.objects.annotate(
        book_count=Count("books", filter=listed),
        rating_sum=Sum("books__rating_sum", filter=listed, default=0),
        rating_count=Sum("books__rating_count", filter=listed, default=0),
    ).order_by("name", "id")


def city_list() -> QuerySet[City]:
    return City.objects.all()
