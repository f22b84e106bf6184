"""Writes through the API: the shapes of 2xx answers and every 4xx of the catalog."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, UserFactory
from catalog.models import Author, Book
from catalog.tests.factories import AuthorFactory, BookFactory, CityFactory, GenreFactory, isbn13
from reservations.models import ReservationStatus
from reservations.tests.factories import QueueEntryFactory, ReservationFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def author():
    return AuthorFactory(user=UserFactory(), name="Forough Farrokhzad")


def new_book(genre, **overrides):
    return {
        "title": "Another Birth",
        "isbn": "978-0-306-40615-7",
        "genre": genre.pk,
        "published_year": 1964,
        "total_units": 2,
        **overrides,
    }


def test_an_author_creates_a_book_and_becomes_its_author(author):
    response = client_for(author.user).post("/api/books/", new_book(GenreFactory()))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["isbn"] == "9780306406157"
    assert body["authors"] == [{"id": author.pk, "name": "Forough Farrokhzad"}]
    assert (body["total_units"], body["available_units"]) == (2, 2)


def test_an_admin_creating_a_book_must_name_its_authors():
    admin = AdminFactory()
    response = client_for(admin).post("/api/books/", new_book(GenreFactory()))
    assert response.status_code == 400
    assert "authors" in response.json()["errors"]
    assert not Book.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"isbn": "978-0-306-40615-8"}, "isbn"),
        ({"isbn": "not an isbn"}, "isbn"),
        ({"genre": 999999}, "genre"),
        ({"genre": None}, "genre"),
        ({"authors": [999999]}, "authors"),
        ({"authors": "abc"}, "authors"),
        ({"published_year": 99}, "published_year"),
        ({"total_units": 0}, "total_units"),
        ({"total_units": 10**12}, "total_units"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
    ],
)
def test_book_create_with_invalid_input_is_a_400_naming_the_field(author, overrides, field):
    payload = {**new_book(GenreFactory()), **overrides}
    response = client_for(author.user).post("/api/books/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Book.objects.exists()


def test_book_create_with_a_taken_isbn_is_a_400_on_isbn(author):
    existing = BookFactory()
    payload = new_book(GenreFactory(), isbn=existing.isbn)
    response = client_for(author.user).post("/api/books/", payload)
    assert response.status_code == 400
    assert "isbn" in response.json()["errors"]


def _in_digits(isbn: str, zero: str) -> str:
    """`isbn` written in the script whose digit zero is `zero` (its digits are consecutive)."""
    return "".join(chr(ord(zero) + int(d)) for d in isbn)


@pytest.mark.parametrize("zero", ["۰", "٠", "０"], ids=["persian", "arabic-indic", "fullwidth"])
def test_a_taken_isbn_in_other_digits_is_the_duplicate_400_on_isbn(author, zero):
    existing = BookFactory()
    payload = new_book(GenreFactory(), isbn=_in_digits(existing.isbn, zero))
    response = client_for(author.user).post("/api/books/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "already exists" in str(response.json()["errors"]["isbn"])
    assert list(Book.objects.values_list("isbn", flat=True)) == [existing.isbn]


@pytest.mark.parametrize("zero", ["۰", "٠", "０"], ids=["persian", "arabic-indic", "fullwidth"])
def test_an_isbn_in_other_digits_is_stored_in_ascii_digits(author, zero):
    payload = new_book(GenreFactory(), isbn=_in_digits("9780306406157", zero))
    response = client_for(author.user).post("/api/books/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["isbn"] == "9780306406157"
    assert Book.objects.get().isbn == "9780306406157"


@pytest.mark.parametrize(
    "isbn",
    ["978030640615\u2077", "\u00b2780306406157", "978030640615\u2466"],
    ids=["superscript-seven", "superscript-two", "circled-seven"],
)
def test_an_isbn_with_digit_like_characters_is_a_400_and_stores_nothing(author, isbn):
    payload = new_book(GenreFactory(), isbn=isbn)
    response = client_for(author.user).post("/api/books/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "isbn" in response.json()["errors"]
    assert not Book.objects.exists()


def test_changing_an_isbn_to_a_taken_one_in_persian_digits_is_a_400(author):
    taken = BookFactory()
    book = BookFactory(authors=[author])
    response = client_for(author.user).patch(
        f"/api/books/{book.pk}/", {"isbn": _in_digits(taken.isbn, "۰")}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "isbn" in response.json()["errors"]
    book.refresh_from_db()
    assert book.isbn != taken.isbn and book.isbn.isascii()


def test_a_body_that_is_not_an_object_is_a_400(author):
    response = client_for(author.user).post("/api/books/", [1, 2], format="json")
    assert response.status_code == 400


def test_put_replaces_every_field_and_patch_changes_one(author):
    book = BookFactory(authors=[author], description="old")
    client = client_for(author.user)
    genre = GenreFactory()
    payload = new_book(genre, isbn=isbn13(424242), total_units=3)
    response = client.put(f"/api/books/{book.pk}/", payload)
    assert response.status_code == 200, response.content
    assert response.json()["description"] == ""
    assert response.json()["genre"]["id"] == genre.pk
    response = client.patch(f"/api/books/{book.pk}/", {"description": "new"})
    assert response.json()["description"] == "new"
    assert response.json()["title"] == "Another Birth"


def test_put_missing_required_fields_is_a_400(author):
    book = BookFactory(authors=[author])
    response = client_for(author.user).put(f"/api/books/{book.pk}/", {"title": "Only"})
    assert response.status_code == 400
    assert {"isbn", "genre", "published_year", "total_units"} <= set(response.json()["errors"])


def test_patch_with_no_authors_is_a_400_and_keeps_them(author):
    book = BookFactory(authors=[author])
    response = client_for(author.user).patch(
        f"/api/books/{book.pk}/", {"authors": []}, format="json"
    )
    assert response.status_code == 400
    assert "authors" in response.json()["errors"]
    assert list(book.authors.all()) == [author]


def test_lowering_total_units_below_units_on_loan_is_a_409(author):
    book = BookFactory(authors=[author], total_units=3, available_units=1)
    response = client_for(author.user).patch(f"/api/books/{book.pk}/", {"total_units": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "units_on_loan"
    assert response.json()["units_on_loan"] == 2
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (3, 1)


def test_lowering_total_units_within_free_units_lowers_available_units(author):
    book = BookFactory(authors=[author], total_units=5, available_units=3)
    response = client_for(author.user).patch(f"/api/books/{book.pk}/", {"total_units": 2})
    assert response.status_code == 200
    assert (response.json()["total_units"], response.json()["available_units"]) == (2, 0)


def test_raising_total_units_with_nobody_waiting_raises_available_units(author):
    book = BookFactory(authors=[author], total_units=2, available_units=1)
    response = client_for(author.user).patch(f"/api/books/{book.pk}/", {"total_units": 4})
    assert response.status_code == 200
    assert (response.json()["total_units"], response.json()["available_units"]) == (4, 3)


def test_available_units_cannot_be_written(author):
    book = BookFactory(authors=[author], total_units=2, available_units=1)
    client_for(author.user).patch(f"/api/books/{book.pk}/", {"available_units": 2})
    book.refresh_from_db()
    assert book.available_units == 1


def test_a_due_reservation_is_settled_before_the_units_rule_is_checked(author):
    book = BookFactory(authors=[author], total_units=1, available_units=0)
    now = timezone.now()
    ReservationFactory(book=book, starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    response = client_for(author.user).delete(f"/api/books/{book.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "book_has_history"  # not book_in_use: it has expired


def test_deleting_a_book_someone_holds_is_a_409_book_in_use(author):
    book = BookFactory(authors=[author])
    ReservationFactory(book=book)
    response = client_for(author.user).delete(f"/api/books/{book.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "book_in_use"
    assert Book.objects.filter(pk=book.pk).exists()


def test_deleting_a_book_someone_waits_for_is_a_409_book_in_use(author):
    book = BookFactory(authors=[author], available_units=0)
    QueueEntryFactory(book=book)
    response = client_for(author.user).delete(f"/api/books/{book.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "book_in_use"


def test_deleting_a_book_with_only_past_loans_is_a_409_book_has_history(author):
    book = BookFactory(authors=[author])
    now = timezone.now()
    ReservationFactory(
        book=book,
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=2),
        status=ReservationStatus.RETURNED,
        ended_at=now - timedelta(days=3),
    )
    response = client_for(author.user).delete(f"/api/books/{book.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "book_has_history"


def test_writing_a_missing_book_is_a_404(author):
    response = client_for(author.user).patch("/api/books/999999/", {"title": "x"})
    assert response.status_code == 404


def test_a_user_creates_their_author_profile_once():
    user = UserFactory()
    client = client_for(user)
    city = CityFactory()
    response = client.post("/api/authors/", {"name": "Me", "bio": "Poet", "city": city.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["city"] == {"id": city.pk, "name": city.name}
    assert body["has_account"] is True
    assert Author.objects.get(pk=body["id"]).user == user
    second = client.post("/api/authors/", {"name": "Me again"})
    assert second.status_code == 409
    assert second.json()["code"] == "author_profile_exists"


def test_a_member_cannot_link_their_new_profile_to_someone_else():
    user, other = UserFactory(), UserFactory()
    response = client_for(user).post("/api/authors/", {"name": "Me", "user": other.pk})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["user"]
    assert not Author.objects.filter(name="Me").exists()


def test_an_admin_creates_a_profile_for_another_user_or_for_nobody():
    admin, user = AdminFactory(), UserFactory()
    client = client_for(admin)
    linked = client.post("/api/authors/", {"name": "Linked", "user": user.pk})
    unlinked = client.post("/api/authors/", {"name": "Ferdowsi"})
    assert Author.objects.get(pk=linked.json()["id"]).user == user
    assert Author.objects.get(pk=unlinked.json()["id"]).user is None
    assert client.post("/api/authors/", {"name": "Again", "user": user.pk}).status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"name": ""}, "name"), ({"name": "x", "city": 999999}, "city"), ({}, "name")],
)
def test_author_create_with_invalid_input_is_a_400(payload, field):
    response = client_for(UserFactory()).post("/api/authors/", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_deleting_the_only_author_of_a_book_is_a_409(author):
    book = BookFactory(authors=[author])
    response = client_for(author.user).delete(f"/api/authors/{author.pk}/")
    assert response.status_code == 409
    assert response.json() | {"book_ids": [book.pk]} == response.json()
    assert response.json()["code"] == "sole_author_of_books"


def test_genres_list_their_book_counts():
    poetry, empty = GenreFactory(name="Poetry"), GenreFactory(name="Zen")
    BookFactory.create_batch(2, genre=poetry)
    body = APIClient().get("/api/genres/").json()
    assert body["results"] == [
        {"id": poetry.pk, "name": "Poetry", "book_count": 2, "rating_average": None},
        {"id": empty.pk, "name": "Zen", "book_count": 0, "rating_average": None},
    ]


def test_a_genre_name_taken_in_another_case_is_a_400_on_name():
    GenreFactory(name="Poetry")
    response = client_for(AdminFactory()).post("/api/genres/", {"name": "POETRY"})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_deleting_a_genre_with_books_is_a_409():
    book = BookFactory()
    admin = client_for(AdminFactory())
    response = admin.delete(f"/api/genres/{book.genre_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "genre_in_use"


def test_cities_are_listed_for_signed_in_users():
    CityFactory(name="Shiraz")
    body = client_for(UserFactory()).get("/api/cities/").json()
    assert [city["name"] for city in body["results"]] == ["Shiraz"]


def test_a_city_name_taken_is_a_400_on_name():
    CityFactory(name="Tabriz")
    response = client_for(AdminFactory()).put(
        f"/api/cities/{CityFactory().pk}/", {"name": "tabriz"}
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
