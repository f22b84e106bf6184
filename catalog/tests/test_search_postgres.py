"""On PostgreSQL the catalog search uses the trigram indexes of migration 0002, at 100k books."""

import pytest
from django.db import connection

from catalog.selectors import book_list, book_search
from catalog.tests.factories import GenreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CATALOG_SIZE = 100_000


def fill_catalog(size: int) -> None:
    """`size` books and 10,000 authors in three INSERT ... SELECT statements (seconds, not minutes).

    At this author count the planner rightly scans the authors table; its trigram index pays off
    only on far larger author tables, so the assertion is about the books' indexes.
    """
    genre = GenreFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_author (name, bio)
            SELECT 'Author ' || md5(i::text), '' FROM generate_series(1, 10000) AS i
            """
        )
        cursor.execute(
            """
            INSERT INTO catalog_book (title, isbn, description, genre_id, published_year,
                                      total_units, available_units, created_at, updated_at)
            SELECT 'Title ' || md5(i::text), lpad(i::text, 13, '0'),
                   'About ' || md5((i * 7)::text), %s, 1900 + i %% 120, 2, 1, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [genre.pk, size],
        )
        cursor.execute(
            """
            INSERT INTO catalog_book_authors (book_id, author_id)
            SELECT b.id, a.id FROM catalog_book b
            JOIN catalog_author a ON a.id = (SELECT min(id) FROM catalog_author) + b.id % 10000
            """
        )
        cursor.execute("ANALYZE catalog_book; ANALYZE catalog_author; ANALYZE catalog_book_authors")


def test_search_on_a_100k_book_catalog_uses_the_trigram_indexes():
    fill_catalog(CATALOG_SIZE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5('4242')")
        term = cursor.fetchone()[0][5:13]
    page = book_search(book_list(), term).order_by("title", "id")[:20]
    plan = page.explain()
    print(plan)  # `pytest -s` shows it
    for index in (
        "catalog_book_title_trgm",
        "catalog_book_description_trgm",
        "catalog_book_isbn_trgm",
    ):
        assert index in plan
    assert "Seq Scan on catalog_book " not in plan
    # Book 4242's title matches, and so do the books of author 4242 (same md5 in the name).
    assert f"Title {_md5('4242')}" in [book.title for book in page]


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


def test_the_default_browse_page_on_a_100k_book_catalog_reads_the_title_index():
    fill_catalog(CATALOG_SIZE)
    plan = book_list().order_by("title", "id")[:20].explain()
    assert "book_title_id" in plan
    assert "Sort" not in plan.split("SubPlan")[0]
