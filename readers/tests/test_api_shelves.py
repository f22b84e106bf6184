"""Shelves and favourites through the API, and the readers' figures on every book the catalog
shows (list, page, popular list), cached list pages included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory, UserFactory, member
from catalog.models import Book
from catalog.tests.factories import BookFactory
from library_project.tests.openapi import openapi_document
from readers.models import Favourite, Shelf, ShelfEntry
from readers.services.shelves import shelf_put
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db

BOOKS = "/api/books/"
FIGURES = ("like_count", "dislike_count", "review_count", "want_to_read_count")
BAD_IDS = ("abc", "0", "-1", str(2**63), "999999")


def shelf_url(book_id) -> str:
    return f"{BOOKS}{book_id}/shelf/"


def favourite_url(book_id) -> str:
    return f"{BOOKS}{book_id}/favourite/"


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


@pytest.fixture
def book():
    return BookFactory(title="Savushun")


def figures_of(body: dict) -> tuple:
    return tuple(body[name] for name in FIGURES)


# --- the readers' figures on every book -----------------------------------------------------


def set_figures(book) -> None:
    Book.objects.filter(pk=book.pk).update(
        like_count=4, dislike_count=1, review_count=2, want_to_read_count=3
    )


def test_the_list_the_page_and_the_popular_list_show_the_readers_figures(book):
    set_figures(book)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    for client in (APIClient(), client_for(UserFactory())):
        listed = client.get(BOOKS).json()["results"][0]
        assert figures_of(listed) == (4, 1, 2, 3)
        assert figures_of(client.get(f"{BOOKS}{book.pk}/").json()) == (4, 1, 2, 3)
        popular = client.get(f"{BOOKS}popular/").json()["results"][0]
        assert figures_of(popular) == (4, 1, 2, 3)


def test_the_book_page_reads_the_figures_in_its_one_query(book, django_assert_num_queries):
    set_figures(book)
    one_read = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(one_read):
        body = APIClient().get(f"{BOOKS}{book.pk}/").json()
    assert figures_of(body) == (4, 1, 2, 3)


def test_the_schema_states_the_figures_read_only_integers():
    properties = openapi_document()["components"]["schemas"]["Book"]["properties"]
    for name in FIGURES:
        assert properties[name]["type"] == "integer"
        assert properties[name]["readOnly"] is True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_cached_list_page_shows_the_new_want_to_read_count_after_a_shelf_change():
    book = BookFactory()
    reader = CustomerFactory()

    def listed() -> dict:
        return APIClient().get(BOOKS, {"page_size": 100}).json()["results"][0]

    assert listed()["want_to_read_count"] == 0
    Book.objects.filter(pk=book.pk).update(title="Changed behind every service's back")
    assert listed()["title"] == book.title  # served from the cache
    response = client_for(reader.user).put(
        shelf_url(book.pk), {"shelf": "want_to_read"}, format="json"
    )
    assert response.json()["want_to_read_count"] == 1
    assert listed()["want_to_read_count"] == 1
    client_for(reader.user).delete(shelf_url(book.pk))
    assert listed()["want_to_read_count"] == 0


# --- shelves --------------------------------------------------------------------------------


def test_a_book_put_on_a_shelf_is_read_back_and_counted(client, book):
    response = client.put(shelf_url(book.pk), {"shelf": "want_to_read"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"shelf", "added_at", "want_to_read_count"}
    assert (body["shelf"], body["want_to_read_count"]) == ("want_to_read", 1)
    assert client.get(shelf_url(book.pk)).json() == {
        "shelf": "want_to_read",
        "added_at": body["added_at"],
    }
    assert client.get(f"{BOOKS}{book.pk}/").json()["want_to_read_count"] == 1


def test_moving_a_book_to_another_shelf_leaves_it_on_that_one_only(client, customer, book):
    client.put(shelf_url(book.pk), {"shelf": "want_to_read"}, format="json")
    response = client.put(shelf_url(book.pk), {"shelf": "reading"}, format="json")
    assert (response.json()["shelf"], response.json()["want_to_read_count"]) == ("reading", 0)
    assert list(ShelfEntry.objects.filter(customer=customer).values_list("shelf", flat=True)) == [
        "reading"
    ]


def test_a_removed_book_is_on_no_shelf(client, book):
    client.put(shelf_url(book.pk), {"shelf": "want_to_read"}, format="json")
    assert client.delete(shelf_url(book.pk)).status_code == 204
    assert client.get(shelf_url(book.pk)).status_code == 404
    assert client.delete(shelf_url(book.pk)).json()["code"] == "not_found"
    assert Book.objects.get(pk=book.pk).want_to_read_count == 0


def test_a_shelf_is_each_members_own(client, book):
    shelf_put(customer_id=CustomerFactory().pk, book_id=book.pk, shelf=Shelf.READ)
    assert client.get(shelf_url(book.pk)).status_code == 404
    assert client.delete(shelf_url(book.pk)).status_code == 404
    assert ShelfEntry.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"shelf": "favourites"},
        {"shelf": ""},
        {"shelf": None},
        {"shelf": 1},
        {},
        {"shelf": "read", "added_at": "2020-01-01T00:00:00Z"},
        {"shelf": "read", "customer": 1},
    ],
)
def test_a_bad_shelf_body_is_a_400_changing_nothing(client, book, body):
    response = client.put(shelf_url(book.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert ShelfEntry.objects.count() == 0


@pytest.mark.parametrize("pk", BAD_IDS)
def test_an_id_that_names_no_book_is_a_404(client, pk):
    for url in (shelf_url(pk), favourite_url(pk)):
        assert client.get(url).status_code == 404
        assert (
            client.put(
                url, {"shelf": "read"} if "shelf" in url else None, format="json"
            ).status_code
            == 404
        )
        assert client.delete(url).status_code == 404


def test_an_account_without_a_member_profile_has_no_shelves_or_favourites(book):
    client = client_for(UserFactory())
    for url, body in ((shelf_url(book.pk), {"shelf": "read"}), (favourite_url(book.pk), None)):
        response = client.put(url, body, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "customer_required")
        assert client.get(url).status_code == 404
        assert client.delete(url).status_code == 404


def test_anonymous_callers_are_asked_to_sign_in(book):
    for url in (shelf_url(book.pk), favourite_url(book.pk)):
        for method in ("get", "put", "delete"):
            assert getattr(APIClient(), method)(url).status_code == 401


# --- favourites -----------------------------------------------------------------------------


def test_a_favourite_put_without_a_body_is_idempotent(client, customer, book):
    first = client.put(favourite_url(book.pk))
    assert first.status_code == 200
    assert first.json()["favourite"] is True
    again = client.put(favourite_url(book.pk), {}, format="json")
    assert again.json() == first.json()
    assert client.get(favourite_url(book.pk)).json() == first.json()
    assert Favourite.objects.filter(customer=customer, book=book).count() == 1


def test_a_favourite_put_with_a_field_is_a_400_naming_it(client, book):
    response = client.put(favourite_url(book.pk), {"favourite": True}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["favourite"]
    assert Favourite.objects.count() == 0


def test_a_removed_favourite_is_gone(client, book):
    client.put(favourite_url(book.pk))
    assert client.delete(favourite_url(book.pk)).status_code == 204
    assert client.get(favourite_url(book.pk)).status_code == 404
    assert client.delete(favourite_url(book.pk)).status_code == 404


def test_shelf_and_favourite_reads_cost_fixed_queries(client, customer, book):
    shelf_put(customer_id=customer.pk, book_id=book.pk, shelf=Shelf.READ)
    with CaptureQueriesContext(connection) as read:
        assert client.get(shelf_url(book.pk)).status_code == 200
    assert len(read.captured_queries) == 1
