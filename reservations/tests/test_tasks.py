import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from reservations.models import QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create, reservation_renew
from reservations.tasks import expire_due_reservations, remind_reservations_ending_soon
from reservations.tests.factories import make_due


def due_holder_and_waiter():
    book = BookFactory(total_units=1)
    held = reservation_create(customer=member(), book_id=book.pk, days=2).reservation
    entry = reservation_create(customer=member(), book_id=book.pk, days=2).queue_entry
    make_due(held)
    return held, entry


@pytest.mark.django_db
def test_the_expiry_task_ends_due_reservations_once_even_when_run_twice():
    held, entry = due_holder_and_waiter()

    assert expire_due_reservations() == 1
    assert expire_due_reservations() == 0

    held.refresh_from_db()
    entry.refresh_from_db()
    assert held.status == ReservationStatus.EXPIRED
    assert entry.status == QueueStatus.FULFILLED
    assert Notification.objects.filter(kind=NotificationKind.RESERVATION_EXPIRED).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.QUEUE_GRANTED).count() == 1


@pytest.mark.django_db
def test_reminders_go_once_to_reservations_ending_within_a_day():
    soon = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=1
    ).reservation
    later = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=3
    ).reservation
    Reservation.objects.filter(pk=soon.pk).update(ends_at=timezone.now() + timedelta(hours=23))

    assert remind_reservations_ending_soon() == 1
    assert remind_reservations_ending_soon() == 0

    reminders = Notification.objects.filter(kind=NotificationKind.RESERVATION_ENDING)
    assert [n.user_id for n in reminders] == [soon.customer.user_id]
    assert not reminders.filter(user_id=later.customer.user_id).exists()


@pytest.mark.django_db
def test_a_renewed_reservation_is_reminded_again_before_its_new_end():
    r = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=1
    ).reservation
    assert remind_reservations_ending_soon() == 1
    reservation_renew(customer=r.customer, reservation_id=r.pk, days=3)
    Reservation.objects.filter(pk=r.pk).update(ends_at=timezone.now() + timedelta(hours=2))

    assert remind_reservations_ending_soon() == 1
    assert Notification.objects.filter(kind=NotificationKind.RESERVATION_ENDING).count() == 2


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_a_due_reservation_and_promotes_the_queue_head(settings):
    """The task goes through the Redis broker to a worker thread sharing the test database."""
    from celery.contrib.testing.worker import start_worker

    from library_project.celery import app

    assert not app.conf.task_always_eager
    held, entry = due_holder_and_waiter()
    # The worker thread closes its connection after each task, so the test database can be dropped.
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            expire_due_reservations.delay()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                entry.refresh_from_db()
                if entry.status != QueueStatus.WAITING:
                    break
                time.sleep(0.2)
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age

    held.refresh_from_db()
    assert held.status == ReservationStatus.EXPIRED
    assert entry.status == QueueStatus.FULFILLED
    assert entry.reservation.is_active
