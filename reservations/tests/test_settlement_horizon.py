"""The settlement horizon (`reservations.settlement`, with Redis): reads skip lazy settlement's
database check until something can be due, and never past a due moment."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from reservations import settlement
from reservations.models import QueueEntry, Reservation, ReservationStatus
from reservations.services import (
    queue_suspend,
    reservation_create,
    settle_due_reservations,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def stored_horizon():
    return cache.get(settlement.HORIZON_KEY)


def generation():
    return cache.get(settlement.GENERATION_KEY)


def test_a_settlement_of_every_book_stores_a_horizon_and_the_next_read_costs_no_query(
    django_assert_num_queries,
):
    reservation = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=2
    ).reservation
    settle_due_reservations()
    entry = stored_horizon()
    assert entry is not None and entry[0] == generation()
    assert entry[1] <= reservation.ends_at
    with django_assert_num_queries(0):
        assert settle_due_reservations() == 0
        assert settle_due_reservations(book_ids=[reservation.book_id]) == 0
        assert settle_due_reservations(customer_id=reservation.customer_id) == 0


def test_the_horizon_is_the_earliest_end_and_at_most_the_cap_ahead():
    settle_due_reservations()
    empty_horizon = stored_horizon()[1]
    assert timezone.now() < empty_horizon <= timezone.now() + settlement.HORIZON_CAP

    cache.clear()
    soon = timezone.now() + timedelta(hours=2)
    Reservation.objects.filter(
        pk=reservation_create(
            customer=member(), book_id=BookFactory(total_units=1).pk, days=1
        ).reservation.pk
    ).update(ends_at=soon)
    settle_due_reservations()
    assert stored_horizon()[1] == soon


def test_past_the_horizon_the_check_runs_and_settles():
    reservation = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=1
    ).reservation
    settle_due_reservations()
    after_end = reservation.ends_at + timedelta(seconds=1)
    assert settle_due_reservations(now=after_end) == 1
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED


def test_a_reservation_made_through_the_service_keeps_the_horizon():
    """Reserving lasts at least a day, longer than any horizon reaches: no reserve defeats it."""
    settle_due_reservations()
    before = generation()
    reservation_create(customer=member(), book_id=BookFactory(total_units=1).pk, days=1)
    assert generation() == before
    assert settlement.read(timezone.now())[0] is True


def test_a_soon_due_moment_saved_drops_every_horizon_read_before():
    book = BookFactory(total_units=1)
    holder, waiter = member(), member()
    reservation_create(customer=holder, book_id=book.pk, days=1)
    entry = reservation_create(customer=waiter, book_id=book.pk, days=1).queue_entry
    settle_due_reservations()
    assert settlement.read(timezone.now())[0] is True
    queue_suspend(customer=waiter, entry_id=entry.pk, until=timezone.now() + timedelta(hours=1))
    assert settlement.read(timezone.now())[0] is False
    settle_due_reservations()
    assert stored_horizon()[1] <= QueueEntry.objects.get(pk=entry.pk).suspended_until


def test_a_due_moment_far_ahead_keeps_the_horizon():
    book = BookFactory(total_units=1)
    reservation_create(customer=member(), book_id=book.pk, days=1)
    waiter = member()
    entry = reservation_create(customer=waiter, book_id=book.pk, days=1).queue_entry
    settle_due_reservations()
    before = generation()
    queue_suspend(customer=waiter, entry_id=entry.pk, until=timezone.now() + timedelta(days=3))
    assert generation() == before


def test_a_horizon_read_from_rows_older_than_a_bump_is_never_trusted():
    _, old_generation = settlement.read(timezone.now())
    settlement.due_moment_written(timezone.now() + timedelta(minutes=5))  # bumps (no transaction)
    settlement.remember(generation=old_generation, at=timezone.now())
    assert settlement.read(timezone.now())[0] is False


def test_a_lost_generation_starts_a_new_one_and_drops_the_horizon():
    settle_due_reservations()
    cache.delete(settlement.GENERATION_KEY)
    assert settlement.read(timezone.now())[0] is False
    assert generation() is not None


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_a_per_process_cache_keeps_no_horizon(django_assert_num_queries):
    settle_due_reservations()
    assert settlement.read(timezone.now()) == (False, None)
    with django_assert_num_queries(1):  # the check itself, every time
        settle_due_reservations(book_ids=[1])
