"""The public browse: filters, search, ordering, pagination, popularity and the query budget."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory
from reservations.models import ReservationStatus
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db

BOOKS = "/api/books/"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [book["title"] for book in response.json()["results"]]


def browse(**params):
    return APIClient().get(BOOKS, params)


def past_reservation(book, *, days_ago: int):
    now = timezone.now()
    return ReservationFactory(
        book=book,
        starts_at=now - timedelta(days=days_ago),
        ends_at=now - timedelta(days=days_ago) + timedelta(days=1),
        status=ReservationStatus.RETURNED,
        ended_at=now - timedelta(days=days_ago) + timedelta(hours=1),
    )


def test_each_listed_book_shows_its_authors_genre_and_units():
    author = AuthorFactory(name="Simin Daneshvar")
    book = BookFactory(title="Savushun", authors=[author], total_units=4, available_units=1)
    item = browse().json()["results"][0]
    assert item == {
        "id": book.pk,
        "title": "Savushun",
        "isbn": book.isbn,
        "description": "",
        "genre": {"id": book.genre_id, "name": book.genre.name},
        "authors": [{"id": author.pk, "name": "Simin Daneshvar"}],
        "published_year": 2000,
        "total_units": 4,
        "available_units": 1,
        "popularity": 0,
        "rating_average": None,
        "rating_count": 0,
        "like_count": 0,
        "dislike_count": 0,
        "review_count": 0,
        "want_to_read_count": 0,
    }


def test_default_order_is_by_title():
    BookFactory(title="B")
    BookFactory(title="A")
    assert titles(browse()) == ["A", "B"]


def test_filter_by_genre():
    poetry = GenreFactory(name="Poetry")
    BookFactory(title="Divan", genre=poetry)
    BookFactory(title="Novel")
    assert titles(browse(genre=poetry.pk)) == ["Divan"]


def test_filter_by_author_lists_their_co_written_books_once():
    author = AuthorFactory()
    BookFactory(title="Co-written", authors=[author, AuthorFactory()])
    BookFactory(title="Solo", authors=[author])
    BookFactory(title="Someone else's")
    assert titles(browse(author=author.pk)) == ["Co-written", "Solo"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", ["On the shelf"]), ("1", ["On the shelf"]), ("false", ["All on loan"])],
)
def test_filter_by_availability(value, expected):
    BookFactory(title="On the shelf", total_units=2, available_units=1)
    BookFactory(title="All on loan", total_units=2, available_units=0)
    assert titles(browse(available=value)) == expected


def test_filter_by_year_range_includes_both_ends():
    for year in (1990, 2000, 2010, 2020):
        BookFactory(title=f"Year {year}", published_year=year)
    assert titles(browse(year_min=2000, year_max=2010)) == ["Year 2000", "Year 2010"]
    assert titles(browse(year_min=2011)) == ["Year 2020"]
    assert titles(browse(year_max=1990)) == ["Year 1990"]


@pytest.mark.parametrize(
    "term",
    [
        *("owl", "OWL", "hedayat", "surreal", "9780306406157", "978-0-306-40615-7", "40615"),
        *("۹۷۸۰۳۰۶۴۰۶۱۵۷", "٤٠٦١٥"),  # the ISBN in Persian and Arabic-Indic digits
    ],
)
def test_search_matches_title_author_description_and_isbn_without_regard_to_case(term):
    BookFactory(
        title="The Blind Owl",
        isbn="9780306406157",
        description="A surreal novella.",
        authors=[AuthorFactory(name="Sadegh Hedayat")],
    )
    BookFactory(title="Unrelated", description="Nothing here.")
    assert titles(browse(search=term)) == ["The Blind Owl"]


def test_search_combines_with_filters_and_lists_a_book_once_when_several_fields_match():
    author = AuthorFactory(name="Owl Writer")
    genre = GenreFactory()
    BookFactory(title="Owl one", description="owl", authors=[author], genre=genre)
    BookFactory(title="Owl two", authors=[author])
    assert titles(browse(search="owl", genre=genre.pk)) == ["Owl one"]
    assert titles(browse(search="owl")) == ["Owl one", "Owl two"]


def test_search_treats_percent_and_underscore_literally():
    BookFactory(title="100% Pure")
    BookFactory(title="Plain")
    assert titles(browse(search="%")) == ["100% Pure"]
    assert titles(browse(search="_")) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["A", "B", "C"]),
        ("-title", ["C", "B", "A"]),
        ("published_year", ["B", "C", "A"]),
        ("-published_year", ["A", "C", "B"]),
        ("available_units", ["C", "A", "B"]),
        ("-available_units", ["B", "A", "C"]),
        ("popularity", ["B", "C", "A"]),
        ("-popularity", ["A", "C", "B"]),
        ("-popularity,title", ["A", "C", "B"]),
    ],
)
def test_ordering(ordering, expected):
    a = BookFactory(title="A", published_year=2020, total_units=5, available_units=2)
    BookFactory(title="B", published_year=1990, total_units=5, available_units=5)
    c = BookFactory(title="C", published_year=2000, total_units=5, available_units=0)
    for _ in range(3):
        past_reservation(a, days_ago=2)
    past_reservation(c, days_ago=5)
    assert titles(browse(ordering=ordering)) == expected


def test_popularity_counts_only_reservations_started_in_the_last_30_days():
    book = BookFactory()
    past_reservation(book, days_ago=3)
    past_reservation(book, days_ago=29)
    past_reservation(book, days_ago=31)
    assert browse().json()["results"][0]["popularity"] == 2


def test_popular_lists_recently_reserved_books_most_reserved_first():
    hit, runner_up, old, _never = (BookFactory(title=t) for t in ("Hit", "Runner-up", "Old", "Nev"))
    for _ in range(2):
        past_reservation(hit, days_ago=1)
    past_reservation(runner_up, days_ago=1)
    past_reservation(old, days_ago=40)
    response = APIClient().get(f"{BOOKS}popular/")
    assert titles(response) == ["Hit", "Runner-up"]
    assert [b["popularity"] for b in response.json()["results"]] == [2, 1]


def test_page_size_is_at_most_100():
    BookFactory.create_batch(101)
    body = browse(page_size=100).json()
    assert body["count"] == 101
    assert len(body["results"]) == 100
    refused = browse(page_size=500)
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["page_size"]


def test_page_and_page_size_select_a_slice():
    for title in "ABCDE":
        BookFactory(title=title)
    assert titles(browse(page=2, page_size=2)) == ["C", "D"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"genre": "abc"}, "genre"),
        ({"genre": "999999"}, "genre"),
        ({"genre": "99999999999999999999999"}, "genre"),
        ({"author": "x"}, "author"),
        ({"author": "999999"}, "author"),
        ({"available": "maybe"}, "available"),
        ({"year_min": "abc"}, "year_min"),
        ({"year_min": "1.5"}, "year_min"),
        ({"year_max": "99999999999999999999"}, "year_max"),
        ({"year_min": "-1"}, "year_min"),
        ({"year_min": "2010", "year_max": "2000"}, "year_max"),
        ({"search": "x" * 101}, "search"),
        ({"ordering": "isbn"}, "ordering"),
        ({"ordering": "title,-nonsense"}, "ordering"),
        ({"ordering": "--title"}, "ordering"),
        ({"ordering": "title,"}, "ordering"),
    ],
)
def test_invalid_browse_parameters_answer_400_naming_the_parameter(params, field):
    BookFactory()
    response = browse(**params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]


def test_an_invalid_page_is_a_400_and_a_page_past_the_last_a_404():
    BookFactory()
    assert browse(page="abc").status_code == 400
    assert browse(page=2).status_code == 404


def test_detail_is_public():
    book = BookFactory(title="Public")
    response = APIClient().get(f"{BOOKS}{book.pk}/")
    assert response.status_code == 200
    assert response.json()["title"] == "Public"


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999"])
def test_detail_of_a_missing_book_is_404(pk):
    assert APIClient().get(f"{BOOKS}{pk}/").status_code == 404


def test_detail_settles_the_books_due_reservation_before_showing_units():
    book = BookFactory(total_units=1, available_units=0)
    now = timezone.now()
    ReservationFactory(book=book, starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    body = APIClient().get(f"{BOOKS}{book.pk}/").json()
    assert body["available_units"] == 1


def test_list_settles_due_reservations_before_showing_units():
    book = BookFactory(total_units=1, available_units=0)
    now = timezone.now()
    ReservationFactory(book=book, starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    assert browse().json()["results"][0]["available_units"] == 1


def queries_for(url: str) -> int:
    """Queries of a GET with nothing cached yet (pages and counts are cached with Redis)."""
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = APIClient().get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_list_costs_the_same_few_queries_for_a_page_of_1_and_of_100(
    django_assert_max_num_queries,
):
    authors = AuthorFactory.create_batch(3)
    for number in range(100):
        BookFactory(authors=authors[: 1 + number % 3])
    for book in BookFactory._meta.model.objects.all()[:10]:
        past_reservation(book, days_ago=1)
    one, hundred = queries_for(f"{BOOKS}?page_size=1"), queries_for(f"{BOOKS}?page_size=100")
    assert one == hundred
    cache.clear()
    with django_assert_max_num_queries(4):  # settle check, count, page, authors
        response = APIClient().get(BOOKS, {"page_size": 100, "ordering": "-popularity"})
    assert len(response.json()["results"]) == 100


def test_search_page_costs_the_same_few_queries(django_assert_max_num_queries):
    for number in range(30):
        BookFactory(title=f"Owl {number}")
    with django_assert_max_num_queries(4):
        response = APIClient().get(BOOKS, {"page_size": 100, "search": "owl"})
    assert response.json()["count"] == 30


def test_detail_costs_one_query_and_one_more_to_settle_its_book(django_assert_num_queries):
    """The book, its genre, popularity, authors and whether it has anything due: one statement
    on PostgreSQL (SQLite reads the authors in a second one)."""
    book = BookFactory(authors=AuthorFactory.create_batch(5), total_units=1, available_units=0)
    one_read = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(one_read):
        response = APIClient().get(f"{BOOKS}{book.pk}/")
    assert len(response.json()["authors"]) == 5
    now = timezone.now()
    ReservationFactory(book=book, starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    with CaptureQueriesContext(connection) as settled:
        assert APIClient().get(f"{BOOKS}{book.pk}/").json()["available_units"] == 1
    assert len(settled.captured_queries) > one_read + 1
    with django_assert_num_queries(one_read):
        assert APIClient().get(f"{BOOKS}{book.pk}/").json()["available_units"] == 1


def test_detail_with_list_filters_in_the_url_is_404_unless_the_book_passes_them():
    book = BookFactory(published_year=1990)
    assert APIClient().get(f"{BOOKS}{book.pk}/", {"year_min": 1980}).status_code == 200
    assert APIClient().get(f"{BOOKS}{book.pk}/", {"year_min": 2000}).status_code == 404
    assert APIClient().get(f"{BOOKS}{book.pk}/", {"year_min": "soon"}).status_code == 400


def test_list_and_detail_render_exactly_what_the_book_serializer_documents():
    from catalog.api.serializers import BookSerializer
    from catalog.selectors import book_list

    authors = [AuthorFactory(name="Zed"), AuthorFactory(name="Ann"), AuthorFactory(name="Ann")]
    BookFactory(authors=authors, description="Three authors, two of one name")
    BookFactory(authors=authors[:1])
    past_reservation(BookFactory(), days_ago=1)
    expected = BookSerializer(book_list().order_by("title", "id"), many=True).data
    assert APIClient().get(BOOKS).json()["results"] == expected
    for book in expected:
        assert APIClient().get(f"{BOOKS}{book['id']}/").json() == book


def test_an_anonymous_book_page_is_the_same_response_as_a_signed_in_one():
    """Anonymous book pages skip DRF's machinery; what they send must not differ."""
    from accounts.tests.factories import UserFactory
    from accounts.tokens import RefreshToken

    book = BookFactory(authors=AuthorFactory.create_batch(2), description="Ünïcode — “quoted”")
    anonymous = APIClient().get(f"{BOOKS}{book.pk}/")
    signed_in = APIClient()  # a bearer token: DRF authenticates it, and renders the page
    token = RefreshToken.for_user(UserFactory(is_active=True)).access_token
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    through_drf = signed_in.get(f"{BOOKS}{book.pk}/")
    assert anonymous.status_code == through_drf.status_code == 200
    assert anonymous.content == through_drf.content
    assert anonymous.headers == through_drf.headers


def test_an_anonymous_page_of_a_missing_book_answers_the_api_error():
    response = APIClient().get(f"{BOOKS}424242/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
