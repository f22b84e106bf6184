"""The catalog admin writes through the services, and shows their refusals as messages."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog.models import Book, Genre
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def book_form(book: Book, **changes) -> dict:
    data = {
        "title": book.title,
        "isbn": book.isbn,
        "description": book.description,
        "genre": book.genre_id,
        "authors": [a.pk for a in book.authors.all()],
        "published_year": book.published_year,
        "total_units": book.total_units,
    }
    return {**data, **changes}


def error_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def test_adding_a_book_in_the_admin_puts_every_unit_on_the_shelf(staff_client):
    author, genre = AuthorFactory(), GenreFactory()
    response = staff_client.post(
        reverse("admin:catalog_book_add"),
        {
            "title": "Admin Book",
            "isbn": isbn13(77),
            "description": "",
            "genre": genre.pk,
            "authors": [author.pk],
            "published_year": 1999,
            "total_units": 4,
        },
    )
    assert response.status_code == 302, response.content
    book = Book.objects.get(title="Admin Book")
    assert (book.total_units, book.available_units) == (4, 4)
    assert list(book.authors.all()) == [author]


def test_raising_total_units_in_the_admin_raises_available_units(staff_client):
    book = BookFactory(total_units=2, available_units=1)
    url = reverse("admin:catalog_book_change", args=[book.pk])
    response = staff_client.post(url, book_form(book, total_units=5))
    assert response.status_code == 302
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (5, 4)


def test_lowering_total_units_below_loans_in_the_admin_is_refused_with_a_message(staff_client):
    book = BookFactory(total_units=3, available_units=1)
    url = reverse("admin:catalog_book_change", args=[book.pk])
    response = staff_client.post(url, book_form(book, total_units=1, title="Changed"))
    assert response.status_code == 302
    assert error_messages(response) == [
        "Total units cannot drop below the units currently on loan."
    ]
    book.refresh_from_db()
    assert (book.title, book.total_units, book.available_units) == (book.title, 3, 1)
    assert book.title != "Changed"


def test_deleting_a_book_with_reservations_in_the_admin_is_refused(staff_client):
    book = ReservationFactory().book
    url = reverse("admin:catalog_book_delete", args=[book.pk])
    response = staff_client.post(url, {"post": "yes"})
    # The admin refuses instead of deleting: reservations are history nobody may delete.
    assert response.status_code == 200
    assert b"Cannot delete book" in response.content
    assert b"reservation" in response.content
    assert Book.objects.filter(pk=book.pk).exists()


def test_deleting_a_free_book_in_the_admin_works(staff_client):
    book = BookFactory()
    response = staff_client.post(
        reverse("admin:catalog_book_delete", args=[book.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Book.objects.filter(pk=book.pk).exists()


def test_the_bulk_delete_action_is_not_offered_for_books(staff_client):
    BookFactory()
    response = staff_client.get(reverse("admin:catalog_book_changelist"))
    assert response.status_code == 200
    assert b"delete_selected" not in response.content


def test_deleting_a_genre_with_books_in_the_admin_is_refused(staff_client):
    genre = BookFactory().genre
    response = staff_client.post(
        reverse("admin:catalog_genre_delete", args=[genre.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert b"protected related objects" in response.content
    assert Genre.objects.filter(pk=genre.pk).exists()


def test_saving_a_book_with_holders_and_a_queue_leaves_them_alone(staff_client):
    reservation = ReservationFactory()
    book = reservation.book
    url = reverse("admin:catalog_book_change", args=[book.pk])
    page = staff_client.get(url)
    assert page.context["holders_and_queue"].holders == [reservation]
    response = staff_client.post(url, book_form(book, title="Renamed"))
    assert response.status_code == 302
    book.refresh_from_db()
    reservation.refresh_from_db()
    assert (book.title, reservation.status) == ("Renamed", "active")


def test_admin_pages_of_the_catalog_open(staff_client):
    book = BookFactory()
    for name, args in [
        ("admin:catalog_book_changelist", []),
        ("admin:catalog_book_change", [book.pk]),
        ("admin:catalog_author_changelist", []),
        ("admin:catalog_author_add", []),
        ("admin:catalog_genre_changelist", []),
        ("admin:catalog_city_add", []),
    ]:
        assert staff_client.get(reverse(name, args=args)).status_code == 200


def test_adding_a_taken_isbn_in_persian_digits_in_the_admin_is_refused(staff_client):
    existing = BookFactory()
    persian = "".join(chr(ord("۰") + int(d)) for d in existing.isbn)
    response = staff_client.post(
        reverse("admin:catalog_book_add"),
        {**book_form(existing, title="Copy", isbn=persian), "authors": [AuthorFactory().pk]},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert list(Book.objects.values_list("isbn", flat=True)) == [existing.isbn]
