from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification, Plan
from accounts.tests.factories import member
from catalog.models import Book
from catalog.tests.factories import BookFactory
from reservations import settlement
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import book_units_added, reservation_create, settle_due_reservations
from reservations.tests.factories import make_due

pytestmark = pytest.mark.django_db


def test_settlement_expires_a_due_reservation_and_gives_the_unit_back():
    book = BookFactory(total_units=1)
    reservation = reservation_create(customer=member(), book_id=book.pk, days=2).reservation
    make_due(reservation)

    assert settle_due_reservations() == 1

    reservation.refresh_from_db()
    book.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert reservation.ended_at == reservation.ends_at
    assert book.available_units == 1
    assert Notification.objects.filter(event_key=f"reservation_expired:{reservation.pk}").exists()


def test_settlement_promotes_the_queue_head_instead_of_freeing_the_unit():
    book = BookFactory(total_units=1)
    reservation = reservation_create(customer=member(), book_id=book.pk, days=2).reservation
    waiter = member()
    entry = reservation_create(customer=waiter, book_id=book.pk, days=3).queue_entry
    make_due(reservation)

    assert settle_due_reservations(book_ids=[book.pk]) == 1

    entry.refresh_from_db()
    book.refresh_from_db()
    assert entry.status == QueueStatus.FULFILLED
    assert entry.reservation.customer == waiter
    assert entry.reservation.is_active
    assert book.available_units == 0


def test_settlement_is_idempotent():
    book = BookFactory(total_units=1)
    make_due(reservation_create(customer=member(), book_id=book.pk, days=2).reservation)

    assert settle_due_reservations() == 1
    assert settle_due_reservations() == 0
    book.refresh_from_db()
    assert book.available_units == 1


def test_settlement_leaves_other_books_alone_when_limited_to_some():
    book, other = BookFactory(total_units=1), BookFactory(total_units=1)
    make_due(reservation_create(customer=member(), book_id=book.pk, days=2).reservation)
    make_due(reservation_create(customer=member(), book_id=other.pk, days=2).reservation)

    assert settle_due_reservations(book_ids=[book.pk]) == 1
    assert Reservation.objects.get(book=other).status == ReservationStatus.ACTIVE


def test_settlement_costs_one_query_when_nothing_is_due(django_assert_num_queries):
    """One check; a settlement of every book also stores the horizon (one more query), after
    which, with a shared cache, reads cost none until something can be due."""
    book = BookFactory(total_units=2)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    with django_assert_num_queries(1):
        assert settle_due_reservations(book_ids=[book.pk]) == 0
    with django_assert_num_queries(2 if settlement.enabled() else 1):
        assert settle_due_reservations() == 0
    with django_assert_num_queries(0 if settlement.enabled() else 1):
        assert settle_due_reservations(book_ids=[book.pk]) == 0


def test_raised_units_serve_the_queue_first_then_the_shelf():
    book = BookFactory(total_units=1)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    entry = reservation_create(customer=member(), book_id=book.pk, days=2).queue_entry

    locked = Book.objects.select_for_update().get(pk=book.pk)
    locked.total_units = 3
    locked.save(update_fields=["total_units"])
    book_units_added(book=locked, added=2)

    book.refresh_from_db()
    entry.refresh_from_db()
    assert entry.status == QueueStatus.FULFILLED
    assert (book.total_units, book.available_units) == (3, 1)
    assert locked.available_units == 1
    assert not QueueEntry.objects.filter(status=QueueStatus.WAITING).exists()


def test_a_free_customer_in_the_queue_is_dropped_when_units_are_added():
    book = BookFactory(total_units=1)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    lapsed = member(Plan.PLUS)
    entry = reservation_create(customer=lapsed, book_id=book.pk, days=2).queue_entry
    lapsed.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))

    locked = Book.objects.select_for_update().get(pk=book.pk)
    locked.total_units = 2
    locked.save(update_fields=["total_units"])
    book_units_added(book=locked, added=1)

    entry.refresh_from_db()
    book.refresh_from_db()
    assert (entry.status, entry.drop_reason) == (QueueStatus.DROPPED, "membership_required")
    assert book.available_units == 1
