"""A member's lists (`GET /api/me/lists/{shelf}/`): the catalog's browse over his books, with its
search, filters, ordering, pagination, refusals and representation, at a fixed query cost."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory, UserFactory
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory
from readers.models import Shelf
from readers.services.shelves import favourite_add, shelf_put
from reservations.models import Reservation
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db

BOOKS = "/api/books/"
LISTS = "/api/me/lists/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def client(customer):
    return client_for(customer.user)


def shelve(customer, book, shelf=Shelf.READ) -> None:
    if shelf == "favourites":
        favourite_add(customer_id=customer.pk, book_id=book.pk)
    else:
        shelf_put(customer_id=customer.pk, book_id=book.pk, shelf=shelf)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [book["title"] for book in response.json()["results"]]


@pytest.mark.parametrize("name", ["want_to_read", "reading", "read", "favourites"])
def test_each_list_holds_the_members_books_on_it_only(client, customer, name):
    mine = BookFactory(title="Mine")
    elsewhere = BookFactory(title="On another shelf")
    others = BookFactory(title="Another member's")
    shelve(customer, mine, name)
    shelve(customer, elsewhere, Shelf.READING if name != "reading" else Shelf.READ)
    shelve(CustomerFactory(), others, name)
    assert titles(client.get(f"{LISTS}{name}/")) == ["Mine"]


def test_a_listed_book_is_the_catalogs_book_with_its_added_at(client, customer):
    book = BookFactory(authors=AuthorFactory.create_batch(2))
    shelve(customer, book, Shelf.WANT_TO_READ)
    listed = client.get(f"{LISTS}want_to_read/").json()["results"][0]
    in_catalog = client.get(BOOKS).json()["results"][0]
    added_at = client.get(f"{BOOKS}{book.pk}/shelf/").json()["added_at"]
    assert listed == {**in_catalog, "added_at": added_at}
    assert listed["want_to_read_count"] == 1


@pytest.mark.parametrize("name", ["", "wishlist", "Read", "favourite", "1"])
def test_an_unknown_list_is_a_404(client, name):
    response = client.get(f"{LISTS}{name}/")
    assert response.status_code == 404


def test_the_lists_need_a_signed_in_caller():
    assert APIClient().get(f"{LISTS}read/").status_code == 401
    assert APIClient().get(LISTS).status_code == 401


def test_an_account_without_a_member_profile_has_empty_lists():
    client = client_for(UserFactory())
    body = client.get(f"{LISTS}read/").json()
    assert (body["count"], body["results"]) == (0, [])
    assert client.get(f"{LISTS}read/", {"genre": "abc"}).status_code == 400
    assert client.get(LISTS).json() == {
        "want_to_read": 0,
        "reading": 0,
        "read": 0,
        "favourites": 0,
    }


def test_the_counts_of_each_list(client, customer):
    for shelf in (Shelf.READ, Shelf.READ, Shelf.READING):
        shelve(customer, BookFactory(), shelf)
    shelve(customer, BookFactory(), "favourites")
    shelve(CustomerFactory(), BookFactory(), Shelf.WANT_TO_READ)
    assert client.get(LISTS).json() == {
        "want_to_read": 0,
        "reading": 1,
        "read": 2,
        "favourites": 1,
    }


def test_the_catalogs_search_filters_and_ordering_apply(client, customer):
    fiction, poetry = GenreFactory(name="Fiction"), GenreFactory(name="Poetry")
    author = AuthorFactory(name="Forough Farrokhzad")
    books = {
        "Another Birth": BookFactory(
            title="Another Birth", genre=poetry, authors=[author], published_year=1964
        ),
        "Captive": BookFactory(title="Captive", genre=poetry, published_year=1955),
        "Savushun": BookFactory(
            title="Savushun", genre=fiction, published_year=1969, available_units=0
        ),
        "Not mine": BookFactory(title="Not mine", genre=poetry, published_year=1960),
    }
    for title in ("Another Birth", "Captive", "Savushun"):
        shelve(customer, books[title])
    read = f"{LISTS}read/"
    assert titles(client.get(read)) == ["Another Birth", "Captive", "Savushun"]
    assert titles(client.get(read, {"genre": poetry.pk})) == ["Another Birth", "Captive"]
    assert titles(client.get(read, {"author": author.pk})) == ["Another Birth"]
    assert titles(client.get(read, {"search": "farrokhzad"})) == ["Another Birth"]
    assert titles(client.get(read, {"available": "false"})) == ["Savushun"]
    assert titles(client.get(read, {"year_min": 1960, "year_max": 1965})) == ["Another Birth"]
    assert titles(client.get(read, {"ordering": "-published_year"})) == [
        "Savushun",
        "Another Birth",
        "Captive",
    ]
    page = client.get(read, {"page": 2, "page_size": 2})
    assert (titles(page), page.json()["count"]) == (["Savushun"], 3)
    assert client.get(read, {"page": 3, "page_size": 2}).status_code == 404


def test_the_list_shows_units_with_due_reservations_ended(client, customer):
    book = BookFactory(total_units=2, available_units=1)
    now = timezone.now()
    ReservationFactory(book=book, starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    shelve(customer, book)
    assert client.get(f"{LISTS}read/").json()["results"][0]["available_units"] == 2
    assert Reservation.objects.get().status == "expired"


@pytest.mark.parametrize(
    "query",
    [
        "genre=abc",
        "genre=999999",
        "author=x",
        "year_min=-1",
        "year_min=1990&year_max=1980",
        "year_max=10000",
        "ordering=bogus",
        "ordering=title,,id",
        "page=0",
        "page=abc",
        "page_size=1000",
        "page_size=0",
        "rating_min=11",
        "available=maybe",
        "genre=",
        "year_min=",
        "ordering=",
        "page=",
        "page_size=",
        "rating_min=",
        "available=",
        "search=" + "x" * 101,
    ],
)
def test_a_bad_query_answers_exactly_what_the_catalog_answers(client, customer, query):
    shelve(customer, BookFactory())
    in_catalog = client.get(f"{BOOKS}?{query}")
    listed = client.get(f"{LISTS}read/?{query}")
    assert in_catalog.status_code == 400
    assert (listed.status_code, listed.json()) == (in_catalog.status_code, in_catalog.json())


def queries_for(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("name", ["read", "favourites"])
def test_a_list_costs_the_same_few_queries_for_a_page_of_1_and_of_100(client, customer, name):
    authors, genre = AuthorFactory.create_batch(3), GenreFactory()
    for number in range(100):
        shelve(customer, BookFactory(genre=genre, authors=authors[: 1 + number % 3]), name)
    one = queries_for(client, f"{LISTS}{name}/?page_size=1")
    hundred = queries_for(client, f"{LISTS}{name}/?page_size=100&ordering=-rating")
    assert one == hundred
    # As many as the catalog's browse of the same query for a signed-in reader: settling, count,
    # page (and the authors on SQLite; PostgreSQL reads them with the page), the genre's check.
    for query in ("page_size=100", f"page_size=100&search=book&genre={genre.pk}"):
        listed = queries_for(client, f"{LISTS}{name}/?{query}")
        assert listed == queries_for(client, f"{BOOKS}?{query}")
