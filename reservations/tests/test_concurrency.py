"""Real concurrency on PostgreSQL: threads with their own connections hit the same book at once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification, NotificationKind
from accounts.tests.factories import member
from catalog.models import Book
from catalog.tests.factories import BookFactory
from purchasing.models import Wallet, WalletTransaction
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create, reservation_return, settle_due_reservations

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(jobs) -> list:
    """Run every job in its own thread, released together; returns each result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # the test inspects every outcome
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_books_and_money_consistent():
    for book in Book.objects.all():
        active = Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).count()
        assert book.available_units == book.total_units - active
        if book.available_units:
            assert not QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING).exists()
    for wallet in Wallet.objects.all():
        ledger = wallet.transactions.aggregate(total=Sum("amount"))["total"] or 0
        assert wallet.balance == ledger
    for reservation in Reservation.objects.all():
        fees = WalletTransaction.objects.filter(reference=f"reservation:{reservation.pk}")
        assert -(fees.aggregate(total=Sum("amount"))["total"] or 0) == reservation.price


def test_twenty_members_reserving_a_three_unit_book_at_once():
    book = BookFactory(total_units=3)
    members = [member(balance=10_000) for _ in range(20)]

    def reserve_through_the_api(customer):
        client = APIClient()
        client.force_authenticate(customer.user)
        return client.post("/api/reservations/", {"book": book.pk, "days": 2})

    answers = run_at_once([lambda c=c: reserve_through_the_api(c) for c in members])

    assert Counter(getattr(answer, "status_code", answer) for answer in answers) == {
        201: 3,
        202: 17,
    }
    # Read after the commit, while others still join: each a place in the queue, with its estimate.
    queued = [answer.json() for answer in answers if answer.status_code == 202]
    assert all(1 <= body["position"] <= 17 for body in queued)
    assert all(body["estimated_available_at"] is not None for body in queued)
    book.refresh_from_db()
    assert book.available_units == 0
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 3
    assert QueueEntry.objects.filter(status=QueueStatus.WAITING).count() == 17
    assert sorted(Wallet.objects.values_list("balance", flat=True)) == [8_000] * 3 + [10_000] * 17
    assert_books_and_money_consistent()


def test_returns_expiry_and_new_reserves_at_once_stay_consistent():
    book = BookFactory(total_units=5)
    holdings = [
        reservation_create(customer=member(), book_id=book.pk, days=3).reservation for _ in range(5)
    ]
    for reservation in holdings[:2]:
        Reservation.objects.filter(pk=reservation.pk).update(
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(seconds=1),
        )
    for _ in range(6):
        reservation_create(customer=member(), book_id=book.pk, days=2)
    newcomers = [member() for _ in range(8)]

    jobs = [
        *[
            lambda r=r: reservation_return(customer=r.customer, reservation_id=r.pk)
            for r in holdings[2:]
        ],
        settle_due_reservations,
        settle_due_reservations,
        *[lambda c=c: reservation_create(customer=c, book_id=book.pk, days=2) for c in newcomers],
    ]
    results = run_at_once(jobs)

    assert not [r for r in results if isinstance(r, Exception)]
    # whoever locked the book first settled it: each due reservation expired exactly once
    assert sum(r for r in results if isinstance(r, int)) <= 2
    assert Reservation.objects.filter(status=ReservationStatus.EXPIRED).count() == 2
    assert Notification.objects.filter(kind=NotificationKind.RESERVATION_EXPIRED).count() == 2
    assert Reservation.objects.filter(status=ReservationStatus.RETURNED).count() == 3
    book.refresh_from_db()
    assert Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).count() == 5
    assert book.available_units == 0
    assert_books_and_money_consistent()


def test_an_entry_served_right_after_it_joins_is_answered_as_served():
    """The position is read after the join's commit: a return landing in between serves the new
    entry, and the 202 says so instead of a stale place in the queue."""
    book = BookFactory(total_units=1)
    holder, joiner = member(), member()
    held = reservation_create(customer=holder, book_id=book.pk, days=2).reservation

    def return_once_the_join_commits(sender, instance, created, **kwargs):
        if created and instance.customer_id == joiner.pk:
            transaction.on_commit(
                lambda: reservation_return(customer=holder, reservation_id=held.pk)
            )

    post_save.connect(return_once_the_join_commits, sender=QueueEntry)
    try:
        client = APIClient()
        client.force_authenticate(joiner.user)
        answer = client.post("/api/reservations/", {"book": book.pk, "days": 2})
    finally:
        post_save.disconnect(return_once_the_join_commits, sender=QueueEntry)

    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == QueueStatus.FULFILLED
    assert body["position"] is None
    assert body["estimated_available_at"] is None
    assert Reservation.objects.get(customer=joiner, book=book).status == ReservationStatus.ACTIVE
    assert_books_and_money_consistent()
