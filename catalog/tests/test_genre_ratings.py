"""A genre's `rating_average`: every rating of its books weighed once (sum of their scores over
the number of ratings), to one decimal with halves up; null while none is rated. Read live with
`book_count` in the list's own query, so it follows every write of a book at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, CustomerFactory
from catalog import services
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory

pytestmark = pytest.mark.django_db

GENRES = "/api/genres/"


def genre_row(genre) -> dict:
    [row] = [g for g in APIClient().get(GENRES).json()["results"] if g["id"] == genre.pk]
    return row


def figures(genre) -> tuple[int, float | None]:
    row = genre_row(genre)
    assert APIClient().get(f"{GENRES}{genre.pk}/").json() == row
    return row["book_count"], row["rating_average"]


def rate(book, *scores) -> None:
    for score in scores:
        services.rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=score)


def test_ratings_are_weighed_once_each_not_per_book():
    genre = GenreFactory()
    rate(BookFactory(genre=genre), 10)
    rate(BookFactory(genre=genre), 4, 4, 4)
    BookFactory(genre=genre)  # unrated: counts as a book, not as a rating
    # (10 + 12) / 4 = 5.5; the mean of the books' averages would be 7.0
    assert figures(genre) == (3, 5.5)


@pytest.mark.parametrize(
    ("scores", "average"),
    [((7, 8), 7.5), ((1, 1, 2), 1.3), ((1, 2, 2), 1.7), ((3, 4, 4, 4), 3.8), ((2, 2, 2, 3), 2.3)],
)
def test_the_average_has_one_decimal_halves_up(scores, average):
    genre = GenreFactory()
    for score in scores:
        rate(BookFactory(genre=genre), score)
    assert figures(genre)[1] == average


def test_a_genre_without_ratings_has_a_null_average():
    genre = GenreFactory()
    BookFactory(genre=genre)
    assert figures(genre) == (1, None)


def test_a_created_book_counts_at_once():
    genre = GenreFactory()
    assert figures(genre) == (0, None)
    author = AuthorFactory()
    services.book_create(
        created_by=AdminFactory(),
        title="New",
        isbn="9780306406157",
        genre=genre,
        published_year=2020,
        total_units=1,
        authors=[author],
    )
    assert figures(genre) == (1, None)


def test_a_book_moved_to_another_genre_takes_its_ratings_along():
    old, new = GenreFactory(), GenreFactory()
    book = BookFactory(genre=old)
    rate(book, 9)
    rate(BookFactory(genre=old), 3)
    assert (figures(old), figures(new)) == ((2, 6.0), (0, None))
    services.book_update(book=book, data={"genre": new})
    assert (figures(old), figures(new)) == ((1, 3.0), (1, 9.0))


def test_a_deleted_book_leaves_the_figures():
    genre = GenreFactory()
    book = BookFactory(genre=genre)
    rate(book, 2)
    rate(BookFactory(genre=genre), 8)
    assert figures(genre) == (2, 5.0)
    services.book_delete(book=book)
    assert figures(genre) == (1, 8.0)


def test_a_rating_set_changed_and_withdrawn_shows_at_once():
    genre = GenreFactory()
    book = BookFactory(genre=genre)
    customer = CustomerFactory()
    services.rating_set(customer_id=customer.pk, book_id=book.pk, score=6)
    assert figures(genre) == (1, 6.0)
    services.rating_set(customer_id=customer.pk, book_id=book.pk, score=9)
    assert figures(genre) == (1, 9.0)
    services.rating_remove(customer_id=customer.pk, book_id=book.pk)
    assert figures(genre) == (1, None)


def test_the_list_costs_the_same_queries_at_page_sizes_1_and_100():
    for _ in range(5):
        genre = GenreFactory()
        rate(BookFactory(genre=genre), 5)
        BookFactory(genre=genre)
    counts = []
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = APIClient().get(GENRES, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 5)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2  # the count and the page
