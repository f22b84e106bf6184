"""A withdrawn book and its reservations: no new reserve, hold or renewal (410, nothing changes),
everyone waiting dropped with reason `book_withdrawn` and told once, loans run to their end and
their copies come back to the shelf for nobody, until a reinstatement makes them reservable."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification, NotificationKind
from accounts.tests.factories import member
from catalog.errors import AlreadyWithdrawn, BookWithdrawn
from catalog.models import Book
from catalog.services import book_reinstate, book_update, book_withdraw
from catalog.tests.factories import BookFactory
from library_project.tests.outbox import outbox
from purchasing.models import WalletTransaction
from readers.models import Shelf, ShelfEntry
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import (
    queue_suspend,
    reservation_create,
    reservation_renew,
    reservation_return,
    settle_due_reservations,
)
from reservations.tests.factories import make_due

pytestmark = pytest.mark.django_db


def reserve(customer, book, days=3):
    return reservation_create(customer=customer, book_id=book.pk, days=days)


def busy_book(*, waiting: int = 2):
    """A one-copy book held by a member, with `waiting` members in its queue."""
    book = BookFactory(total_units=1)
    holder = member(balance=10_000)
    loan = reserve(holder, book).reservation
    waiters = [member(balance=10_000) for _ in range(waiting)]
    entries = [reserve(w, book).queue_entry for w in waiters]
    return book, holder, loan, waiters, entries


def state_of(book) -> tuple:
    book.refresh_from_db()
    return (
        book.total_units,
        book.available_units,
        Reservation.objects.filter(book=book).count(),
        QueueEntry.objects.filter(book=book).count(),
        WalletTransaction.objects.count(),
    )


# --- nothing new on a withdrawn book --------------------------------------------------------


@pytest.mark.parametrize("units_free", [True, False])
def test_a_reserve_or_a_hold_of_a_withdrawn_book_is_refused_and_changes_nothing(units_free):
    book = BookFactory(total_units=1)
    if not units_free:
        reserve(member(), book)
    book_withdraw(book=book, by=None, reason="")
    customer = member()
    before = state_of(book)
    with pytest.raises(BookWithdrawn):
        reserve(customer, book)
    assert state_of(book) == before


def test_the_api_answers_410_to_a_reserve_and_a_quote_of_a_withdrawn_book():
    book = BookFactory()
    book_withdraw(book=book, by=None, reason="")
    client = APIClient()
    customer = member()
    client.force_authenticate(customer.user)
    before = state_of(book)
    for path in ("/api/reservations/", "/api/reservations/quote/"):
        response = client.post(path, {"book": book.pk, "days": 2}, format="json")
        assert (response.status_code, response.json()["code"]) == (410, "book_withdrawn")
    assert state_of(book) == before


def test_a_loan_of_a_withdrawn_book_cannot_be_renewed():
    book, holder, loan, _, _ = busy_book(waiting=0)
    book_withdraw(book=book, by=None, reason="")
    with pytest.raises(BookWithdrawn):
        reservation_renew(customer=holder, reservation_id=loan.pk, days=5)
    loan.refresh_from_db()
    assert (loan.days, loan.status) == (3, ReservationStatus.ACTIVE)


# --- the queue ------------------------------------------------------------------------------


def test_everyone_waiting_is_dropped_with_the_reason_suspended_or_not_and_others_untouched():
    book, _holder, loan, waiters, entries = busy_book(waiting=3)
    queue_suspend(
        customer=waiters[2], entry_id=entries[2].pk, until=timezone.now() + timedelta(days=2)
    )
    elsewhere = reserve(waiters[0], BookFactory(total_units=1)).reservation
    book_withdraw(book=book, by=None, reason="Lost")
    for entry in entries:
        entry.refresh_from_db()
        assert (entry.status, entry.drop_reason) == (QueueStatus.DROPPED, "book_withdrawn")
        assert entry.resolved_at is not None
    loan.refresh_from_db()
    elsewhere.refresh_from_db()
    assert loan.status == elsewhere.status == ReservationStatus.ACTIVE


def test_each_dropped_member_gets_one_notice_naming_the_book():
    book, holder, _, waiters, _entries = busy_book(waiting=2)
    book_withdraw(book=book, by=None, reason="Lost")
    notices = Notification.objects.filter(kind=NotificationKind.QUEUE_DROPPED)
    assert sorted(notices.values_list("user_id", flat=True)) == sorted(w.user_id for w in waiters)
    assert all(book.title in n.message and "withdrawn" in n.message for n in notices)
    assert not Notification.objects.filter(user_id=holder.user_id).exists()


def test_a_refused_second_withdrawal_tells_nobody_again():
    book, _, _, _waiters, _ = busy_book(waiting=2)
    book_withdraw(book=book, by=None, reason="")
    with pytest.raises(AlreadyWithdrawn):
        book_withdraw(book=book, by=None, reason="")
    assert Notification.objects.filter(kind=NotificationKind.QUEUE_DROPPED).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_in_process", "outbox")
def test_the_notices_go_out_once_after_the_commit_and_not_at_all_on_a_rollback():
    book, _, _, waiters, _ = busy_book(waiting=2)
    outbox.clear()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        book_withdraw(book=book, by=None, reason="")
        raise Abort
    assert outbox.sms == [] and outbox.mail == []
    assert QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING).count() == 2

    book_withdraw(book=book, by=None, reason="")
    assert sorted(m.to for m in outbox.sms) == sorted(w.user.phone for w in waiters)
    assert len(outbox.mail) == 2
    with pytest.raises(AlreadyWithdrawn):
        book_withdraw(book=book, by=None, reason="")
    assert len(outbox.sms) == 2


# --- loans run to their end -----------------------------------------------------------------


def test_a_loan_returned_after_withdrawal_goes_back_on_the_shelf_for_nobody():
    book, holder, loan, _, entries = busy_book(waiting=1)
    book_withdraw(book=book, by=None, reason="")
    reservation_return(customer=holder, reservation_id=loan.pk, mark_as_read=True)
    loan.refresh_from_db()
    book.refresh_from_db()
    assert loan.status == ReservationStatus.RETURNED
    assert (book.total_units, book.available_units) == (1, 1)
    assert Reservation.objects.filter(book=book).count() == 1  # nobody was served
    entries[0].refresh_from_db()
    assert entries[0].status == QueueStatus.DROPPED
    # The member's history is kept: the book is on his "read" shelf.
    assert ShelfEntry.objects.get(customer=holder, book=book).shelf == Shelf.READ


def test_a_loan_of_a_withdrawn_book_that_runs_out_comes_back_on_the_shelf():
    book, _holder, loan, _, _ = busy_book(waiting=0)
    book_withdraw(book=book, by=None, reason="")
    make_due(loan)
    assert settle_due_reservations(book_ids=[book.pk]) == 1
    book.refresh_from_db()
    assert book.available_units == 1
    assert Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).count() == 0


def test_copies_added_to_a_withdrawn_book_go_on_the_shelf():
    book, _, _, _, _ = busy_book(waiting=1)
    book_withdraw(book=book, by=None, reason="")
    book_update(book=book, data={"total_units": 3}, units_reason="acquired")
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (3, 2)
    assert Reservation.objects.filter(book=book).count() == 1


def test_history_keeps_pointing_at_a_withdrawn_book_and_it_cannot_be_deleted():
    from catalog.errors import BookHasHistory
    from catalog.services import book_delete

    book, holder, loan, _, _ = busy_book(waiting=1)
    book_withdraw(book=book, by=None, reason="")
    reservation_return(customer=holder, reservation_id=loan.pk)
    with pytest.raises(BookHasHistory):
        book_delete(book=book)
    assert Reservation.objects.get(pk=loan.pk).book_id == book.pk


# --- reinstatement --------------------------------------------------------------------------


def test_a_reinstated_book_is_listed_and_reservable_with_every_copy():
    book, holder, loan, _, _ = busy_book(waiting=1)
    book_withdraw(book=book, by=None, reason="")
    reservation_return(customer=holder, reservation_id=loan.pk)
    book_reinstate(book=book, by=None)
    assert Book.objects.get(pk=book.pk).available_units == 1
    assert [row["id"] for row in APIClient().get("/api/books/").json()["results"]] == [book.pk]
    outcome = reserve(member(), book)
    assert outcome.reservation is not None and outcome.reservation.is_active
    # and, with the copy taken, the next member joins the queue again
    assert reserve(member(), book).queue_entry.status == QueueStatus.WAITING


# --- at once, on PostgreSQL -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_racing_reserves_leaves_nobody_waiting_and_every_notice_once():
    """Whichever commits first, the book's lock orders them: a reserve before the withdrawal is a
    loan or an entry dropped by it; one after is refused. Nobody waits for a withdrawn book."""
    from reservations.tests.test_concurrency import run_at_once

    book = BookFactory(total_units=1)
    members = [member(balance=10_000) for _ in range(8)]
    jobs = [lambda c=c: reserve(c, book) for c in members]
    jobs.insert(4, lambda: book_withdraw(book=book, by=None, reason="Race"))
    results = run_at_once(jobs)

    refused = [r for r in results if isinstance(r, BookWithdrawn)]
    unexpected = [r for r in results if isinstance(r, Exception) and r not in refused]
    assert unexpected == []
    assert not QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING).exists()
    dropped = QueueEntry.objects.filter(book=book, drop_reason="book_withdrawn")
    assert len(refused) + Reservation.objects.filter(book=book).count() + dropped.count() == 8
    notices = Notification.objects.filter(kind=NotificationKind.QUEUE_DROPPED)
    assert sorted(notices.values_list("event_key", flat=True)) == sorted(
        f"queue_dropped:{pk}" for pk in dropped.values_list("pk", flat=True)
    )
    book.refresh_from_db()
    assert book.is_withdrawn
    assert (
        book.available_units
        == book.total_units
        - Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).count()
    )
