"""A member returning a book may mark it as read (`DELETE /api/reservations/{id}/?mark_as_read=
true`): it moves to his "read" shelf in the return's transaction. Reserving never touches the
lists."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import member
from catalog.models import Book
from catalog.tests.factories import BookFactory
from readers.models import Shelf, ShelfEntry
from readers.services.shelves import favourite_add, shelf_put
from reservations.models import Reservation, ReservationStatus
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def holder():
    return member()


@pytest.fixture
def book():
    return BookFactory(total_units=2, available_units=2)


@pytest.fixture
def reservation(holder, book):
    return reservation_create(customer=holder, book_id=book.pk, days=3).reservation


def return_url(reservation, query: str = "") -> str:
    return f"/api/reservations/{reservation.pk}/{query}"


def shelves_of(customer) -> list[tuple[int, str]]:
    return list(ShelfEntry.objects.filter(customer=customer).values_list("book_id", "shelf"))


def test_a_return_marked_as_read_puts_the_book_on_the_read_shelf(holder, book, reservation):
    shelf_put(customer_id=holder.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    response = client_for(holder.user).delete(return_url(reservation, "?mark_as_read=true"))
    assert response.status_code == 204
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.RETURNED
    assert shelves_of(holder) == [(book.pk, "read")]
    assert Book.objects.get(pk=book.pk).want_to_read_count == 0


@pytest.mark.parametrize("query", ["", "?mark_as_read=false"])
def test_a_plain_return_leaves_the_shelves_alone(holder, book, reservation, query):
    shelf_put(customer_id=holder.pk, book_id=book.pk, shelf=Shelf.READING)
    assert client_for(holder.user).delete(return_url(reservation, query)).status_code == 204
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.RETURNED
    assert shelves_of(holder) == [(book.pk, "reading")]


@pytest.mark.parametrize("value", ["", "maybe", "1", "yes", "True", "null"])
def test_a_bad_mark_as_read_is_a_400_naming_it_and_the_book_stays_out(
    holder, book, reservation, value
):
    response = client_for(holder.user).delete(return_url(reservation, f"?mark_as_read={value}"))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["mark_as_read"]
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.ACTIVE
    assert shelves_of(holder) == []


def test_a_refused_return_marks_nothing_as_read(holder, book, reservation):
    client = client_for(holder.user)
    assert client.delete(return_url(reservation)).status_code == 204
    response = client.delete(return_url(reservation, "?mark_as_read=true"))
    assert (response.status_code, response.json()["code"]) == (409, "reservation_not_active")
    assert shelves_of(holder) == []


def test_a_failed_shelf_write_undoes_the_return(holder, book, reservation, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the shelf write failed")

    monkeypatch.setattr("reservations.services.shelf_put", broken)
    with pytest.raises(RuntimeError):
        client_for(holder.user).delete(return_url(reservation, "?mark_as_read=true"))
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.ACTIVE
    assert Book.objects.get(pk=book.pk).available_units == 1


def test_reserving_never_touches_the_lists(holder, book):
    shelf_put(customer_id=holder.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    favourite_add(customer_id=holder.pk, book_id=book.pk)
    other = BookFactory()
    response = client_for(holder.user).post(
        "/api/reservations/", {"book": other.pk, "days": 2}, format="json"
    )
    assert response.status_code == 201
    reservation_create(customer=holder, book_id=book.pk, days=2)
    assert shelves_of(holder) == [(book.pk, "want_to_read")]
    assert holder.favourites.count() == 1
    assert Book.objects.get(pk=book.pk).want_to_read_count == 1
    assert Book.objects.get(pk=other.pk).want_to_read_count == 0
