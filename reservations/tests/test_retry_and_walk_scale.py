from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Customer, Membership, Notification, NotificationKind, Plan, User
from catalog.models import Book
from catalog.tests.factories import BookFactory
from purchasing.models import Wallet
from purchasing.tests.factories import fund
from reservations.models import QueueEntry, QueueStatus
from reservations.release import release_units
from reservations.services import atomic_with_retry


class FakeDeadlock(Exception):
    pgcode = "40P01"


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_inside_the_service():
    calls = []

    @atomic_with_retry
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("deadlock detected") from FakeDeadlock()
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_other_operational_errors_are_not_retried():
    calls = []

    @atomic_with_retry
    def broken():
        calls.append(1)
        raise OperationalError("disk full")

    with pytest.raises(OperationalError):
        broken()
    assert len(calls) == 1


def bulk_customers(n: int) -> list[Customer]:
    """Many members at once (test setup only): users, customer profiles and empty wallets."""
    users = User.objects.bulk_create(
        User(email=f"bulk{i}@example.com", phone=f"+98935{i:07d}", is_active=True) for i in range(n)
    )
    customers = Customer.objects.bulk_create(Customer(user=u) for u in users)
    Wallet.objects.bulk_create(Wallet(customer=c) for c in customers)
    return customers


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_release_past_1000_dropped_waiters_among_10000_reads_them_in_batches():
    """1,000 lapsed members ahead are dropped, the 1,001st is served, 8,999 keep waiting; the walk,
    drop notifications included, costs a bounded number of queries (4,000+ with one per drop)."""
    book = BookFactory(total_units=1, available_units=0)
    customers = bulk_customers(10_000)
    start = timezone.now() - timedelta(days=1)
    Membership.objects.bulk_create(
        Membership(
            customer=c,
            plan=Plan.PLUS,
            starts_at=start,
            ends_at=start + timedelta(days=30),
            price_paid=0,
        )
        for c in customers[1_000:]
    )
    fund(customers[1_000], 10_000)
    queued = timezone.now() - timedelta(hours=5)
    QueueEntry.objects.bulk_create(
        QueueEntry(customer=c, book=book, days=2, queued_at=queued + timedelta(seconds=i))
        for i, c in enumerate(customers)
    )

    locked = Book.objects.select_for_update().get(pk=book.pk)
    with CaptureQueriesContext(connection) as queries:
        assert release_units(book=locked, units=1, at=timezone.now()) == 1
    notification_queries = [
        q for q in queries.captured_queries if "accounts_notification" in q["sql"]
    ]

    assert QueueEntry.objects.filter(status=QueueStatus.DROPPED).count() == 1_000
    assert QueueEntry.objects.get(customer=customers[1_000]).status == QueueStatus.FULFILLED
    assert QueueEntry.objects.filter(status=QueueStatus.WAITING).count() == 8_999
    assert Notification.objects.filter(kind=NotificationKind.QUEUE_DROPPED).count() == 1_000
    assert len(queries) <= 40
    assert len(notification_queries) <= 10
