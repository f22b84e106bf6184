"""Shelves and favourites through their services: one shelf per book, the book's want-to-read
figure kept equal to its rows, idempotent favourites."""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import CustomerFactory
from catalog.errors import BookNotFound
from catalog.models import Book
from catalog.tests.factories import BookFactory
from readers.errors import FavouriteNotFound, ShelfEntryNotFound
from readers.models import Favourite, Shelf, ShelfEntry
from readers.selectors.shelves import favourite_of, shelf_entry_of
from readers.services.shelves import (
    favourite_add,
    favourite_remove,
    shelf_put,
    shelf_remove,
)

pytestmark = pytest.mark.django_db


def wanted(book) -> int:
    return Book.objects.get(pk=book.pk).want_to_read_count


@pytest.fixture
def book():
    return BookFactory()


@pytest.fixture
def customer():
    return CustomerFactory()


def test_putting_a_book_on_want_to_read_counts_it(book, customer):
    placement = shelf_put(customer_id=customer.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    assert (placement.shelf, placement.want_to_read_count) == ("want_to_read", 1)
    assert wanted(book) == 1
    assert shelf_entry_of(customer_id=customer.pk, book_id=book.pk).shelf == "want_to_read"


def test_moving_a_book_keeps_one_entry_and_moves_the_figure(book, customer):
    keys = {"customer_id": customer.pk, "book_id": book.pk}
    shelf_put(**keys, shelf=Shelf.WANT_TO_READ)
    assert shelf_put(**keys, shelf=Shelf.READING).want_to_read_count == 0
    assert wanted(book) == 0
    assert shelf_put(**keys, shelf=Shelf.READ).want_to_read_count == 0
    assert shelf_put(**keys, shelf=Shelf.WANT_TO_READ).want_to_read_count == 1
    assert ShelfEntry.objects.filter(**keys).count() == 1
    assert wanted(book) == 1


def test_putting_a_book_on_its_own_shelf_again_changes_nothing(book, customer):
    keys = {"customer_id": customer.pk, "book_id": book.pk}
    first = shelf_put(**keys, shelf=Shelf.WANT_TO_READ)
    again = shelf_put(**keys, shelf=Shelf.WANT_TO_READ)
    assert again == first
    assert wanted(book) == 1


def test_removing_a_wanted_book_uncounts_it_and_a_second_removal_is_not_found(book, customer):
    keys = {"customer_id": customer.pk, "book_id": book.pk}
    shelf_put(**keys, shelf=Shelf.WANT_TO_READ)
    shelf_put(customer_id=CustomerFactory().pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    shelf_remove(**keys)
    assert wanted(book) == 1
    with pytest.raises(ShelfEntryNotFound):
        shelf_remove(**keys)
    with pytest.raises(ShelfEntryNotFound):
        shelf_entry_of(**keys)


def test_removing_a_book_read_leaves_the_figure(book, customer):
    shelf_put(customer_id=customer.pk, book_id=book.pk, shelf=Shelf.READ)
    shelf_remove(customer_id=customer.pk, book_id=book.pk)
    assert wanted(book) == 0


def test_an_unknown_book_is_the_catalogs_not_found(customer):
    with pytest.raises(BookNotFound):
        shelf_put(customer_id=customer.pk, book_id=999_999, shelf=Shelf.READ)
    with pytest.raises(BookNotFound):
        shelf_remove(customer_id=customer.pk, book_id=999_999)
    with pytest.raises(BookNotFound):
        favourite_add(customer_id=customer.pk, book_id=999_999)
    with pytest.raises(BookNotFound):
        favourite_remove(customer_id=customer.pk, book_id=999_999)
    with pytest.raises(BookNotFound):
        shelf_entry_of(customer_id=customer.pk, book_id=999_999)


def test_a_favourite_is_added_once_and_removed(book, customer):
    keys = {"customer_id": customer.pk, "book_id": book.pk}
    first = favourite_add(**keys)
    assert favourite_add(**keys) == first
    assert favourite_of(**keys).added_at == first.added_at
    assert Favourite.objects.filter(**keys).count() == 1
    favourite_remove(**keys)
    with pytest.raises(FavouriteNotFound):
        favourite_remove(**keys)
    with pytest.raises(FavouriteNotFound):
        favourite_of(**keys)


def test_favourites_and_shelves_are_independent(book, customer):
    keys = {"customer_id": customer.pk, "book_id": book.pk}
    favourite_add(**keys)
    shelf_put(**keys, shelf=Shelf.READING)
    shelf_remove(**keys)
    assert favourite_of(**keys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_shelf_writes_keep_the_figure_equal_to_the_rows():
    book = BookFactory()
    customers = [CustomerFactory() for _ in range(6)]
    # Two at once for every member (the race on the unique constraint), and one move away.
    jobs = []
    for customer in customers:
        for shelf in (Shelf.WANT_TO_READ, Shelf.WANT_TO_READ):
            jobs.append(
                lambda c=customer, s=shelf: shelf_put(customer_id=c.pk, book_id=book.pk, shelf=s)
            )
    mover = CustomerFactory()
    shelf_put(customer_id=mover.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    jobs.append(lambda: shelf_put(customer_id=mover.pk, book_id=book.pk, shelf=Shelf.READ))
    leaver = CustomerFactory()
    shelf_put(customer_id=leaver.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    jobs.append(lambda: shelf_remove(customer_id=leaver.pk, book_id=book.pk))
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    rows = ShelfEntry.objects.filter(book=book, shelf=Shelf.WANT_TO_READ).count()
    assert wanted(book) == rows == len(customers)
    assert ShelfEntry.objects.filter(book=book).count() == len(customers) + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_favourite_adds_at_once_make_one_row():
    book, customer = BookFactory(), CustomerFactory()
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def run():
        try:
            barrier.wait()
            favourite_add(customer_id=customer.pk, book_id=book.pk)
        except Exception as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Favourite.objects.filter(book=book, customer=customer).count() == 1
