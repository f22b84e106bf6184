"""Rating books through the API, and the ratings in the browse: figures, ordering, `rating_min`
and the query budget."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory, UserFactory
from catalog.models import Book, Rating
from catalog.services import rating_set
from catalog.tests.factories import AuthorFactory, BookFactory

pytestmark = pytest.mark.django_db

BOOKS = "/api/books/"


def rating_url(book_id) -> str:
    return f"{BOOKS}{book_id}/rating/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def book():
    return BookFactory(title="Savushun")


def rate(book, *scores) -> None:
    for score in scores:
        rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=score)


def test_a_member_rates_a_book_and_gets_its_new_figures(customer, book):
    rate(book, 6)
    response = client_for(customer.user).put(rating_url(book.pk), {"score": 9}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "book": book.pk,
        "score": 9,
        "rating_average": 7.5,
        "rating_count": 2,
    }


def test_putting_again_replaces_my_score(customer, book):
    client = client_for(customer.user)
    client.put(rating_url(book.pk), {"score": 2}, format="json")
    body = client.put(rating_url(book.pk), {"score": 10}, format="json").json()
    assert (body["score"], body["rating_average"], body["rating_count"]) == (10, 10.0, 1)
    assert client.get(rating_url(book.pk)).json()["score"] == 10


def test_i_read_my_rating_and_404_when_i_have_none(customer, book):
    client = client_for(customer.user)
    assert client.get(rating_url(book.pk)).status_code == 404
    rate(book, 4)
    client.put(rating_url(book.pk), {"score": 8}, format="json")
    response = client.get(rating_url(book.pk))
    assert response.status_code == 200
    assert response.json() == {
        "book": book.pk,
        "score": 8,
        "rating_average": 6.0,
        "rating_count": 2,
    }


def test_deleting_my_rating_answers_204_and_a_second_delete_404(customer, book):
    client = client_for(customer.user)
    client.put(rating_url(book.pk), {"score": 8}, format="json")
    assert client.delete(rating_url(book.pk)).status_code == 204
    assert client.delete(rating_url(book.pk)).status_code == 404
    assert not Rating.objects.exists()
    assert Book.objects.get(pk=book.pk).rating_count == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_anonymous_callers_are_refused_with_401(book, method):
    response = getattr(APIClient(), method)(rating_url(book.pk), {"score": 5}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999", "abc"])
def test_an_unknown_book_is_404(customer, method, pk):
    response = getattr(client_for(customer.user), method)(
        rating_url(pk), {"score": 5}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [{"score": 0}, {"score": 11}, {"score": "5"}, {"score": 5.5}, {"score": None}, {}]
)
def test_a_bad_score_is_a_400_naming_score_and_nothing_is_stored(customer, book, body):
    response = client_for(customer.user).put(rating_url(book.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert "score" in response.json()["errors"]
    assert not Rating.objects.exists()


def test_a_field_the_rating_does_not_take_is_a_400_naming_it(customer, book):
    response = client_for(customer.user).put(
        rating_url(book.pk), {"score": 5, "book": book.pk}, format="json"
    )
    assert response.status_code == 400
    assert "book" in response.json()["errors"]


def test_an_account_without_a_member_profile_cannot_rate(book):
    client = client_for(UserFactory())
    response = client.put(rating_url(book.pk), {"score": 5}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "customer_required"
    assert client.get(rating_url(book.pk)).status_code == 404
    assert client.delete(rating_url(book.pk)).status_code == 404


def test_the_list_and_the_page_show_the_books_rating_figures(book):
    unrated = BookFactory(title="Unrated")
    rate(book, 7, 8, 8)
    listed = {row["id"]: row for row in APIClient().get(BOOKS).json()["results"]}
    assert (listed[book.pk]["rating_average"], listed[book.pk]["rating_count"]) == (7.7, 3)
    assert (listed[unrated.pk]["rating_average"], listed[unrated.pk]["rating_count"]) == (None, 0)
    for client in (APIClient(), client_for(UserFactory())):
        page = client.get(f"{BOOKS}{book.pk}/").json()
        assert (page["rating_average"], page["rating_count"]) == (7.7, 3)


@pytest.fixture
def rated_books():
    """A 9.0, B 6.5, C 9.0 (created after A), D unrated."""
    a, b, c = BookFactory(title="A"), BookFactory(title="B"), BookFactory(title="C")
    BookFactory(title="D")
    rate(a, 9)
    rate(b, 6, 7)
    rate(c, 8, 10)


def titles(**params) -> list[str]:
    response = APIClient().get(BOOKS, params)
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("rating", ["B", "A", "C", "D"]),
        ("-rating", ["A", "C", "B", "D"]),
        ("-rating,-title", ["C", "A", "B", "D"]),
    ],
)
def test_ordering_by_rating_ends_ties_by_id_and_puts_unrated_books_last(
    rated_books, ordering, expected
):
    assert titles(ordering=ordering) == expected


@pytest.mark.parametrize(
    ("rating_min", "expected"),
    [("0", ["A", "B", "C"]), ("7", ["A", "C"]), ("9", ["A", "C"]), ("10", [])],
)
def test_rating_min_keeps_books_rated_at_least_that_and_never_unrated_ones(
    rated_books, rating_min, expected
):
    assert titles(rating_min=rating_min) == expected


@pytest.mark.parametrize("value", ["-1", "11", "abc", "7.5", "", "99999999999999999999"])
def test_a_bad_rating_min_is_a_400_naming_it(value):
    response = APIClient().get(BOOKS, {"rating_min": value})
    assert response.status_code == 400, response.content
    assert "rating_min" in response.json()["errors"]


def test_rating_min_is_declared_with_its_bounds():
    schema = client_for(UserFactory(is_staff=True)).get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/books/"]["get"]["parameters"]
    rating_min = next(p for p in parameters if p["name"] == "rating_min")
    assert (rating_min["schema"]["minimum"], rating_min["schema"]["maximum"]) == (0, 10)
    ordering = next(p for p in parameters if p["name"] == "ordering")
    assert {"rating", "-rating"} <= set(ordering["schema"]["items"]["enum"])


def test_a_rated_page_by_rating_costs_the_lists_few_queries(django_assert_max_num_queries):
    authors = AuthorFactory.create_batch(3)
    for number in range(60):
        rate(BookFactory(authors=authors[: 1 + number % 3]), 1 + number % 10)
    with django_assert_max_num_queries(4):  # settle check, count, page, authors
        response = APIClient().get(
            BOOKS, {"page_size": 100, "ordering": "-rating", "rating_min": 3}
        )
    assert len(response.json()["results"]) == 48
