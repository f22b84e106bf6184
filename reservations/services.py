"""Use cases of reservations and the hold queue: the only code that creates or changes them.

Every use case is one transaction that locks in the global order book → queue entries → wallet
(the book lock also guards the book's queue and reservations). Deadlocks and serialization
failures are retried here, so callers never see them.
"""

import functools
import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AdminOnly
from accounts.models import Customer, NotificationKind, User
from accounts.notifications import NotificationEvent, notify, notify_many
from catalog.errors import BookWithdrawn
from catalog.models import Book
from core.errors import NotFound
from core.permissions import has_admin_permissions
from purchasing.models import TransactionKind, Wallet
from purchasing.services import wallet_debit, wallet_for_update
from readers.models import Shelf
from readers.services.shelves import shelf_put
from reservations import pricing, settlement, sql
from reservations.errors import (
    InvalidSuspension,
    QueueEntryNotWaiting,
    ReservationNotActive,
    ShorteningRefused,
)
from reservations.estimates import attach_estimates
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.release import (
    charge_reservation_fee,
    expire_due_on_locked_book,
    release_units,
    start_reservation,
)
from reservations.rules import Standing, ensure_may_start
from reservations.selectors import (
    MAX_ID,
    queue_entry_position,
    unknown_book,
)
from reservations.sql import BookAndPlan, save_book_units

logger = logging.getLogger(__name__)

# The drop reason of waiting entries whose book was withdrawn.
BOOK_WITHDRAWN = "book_withdrawn"

RETRY_ATTEMPTS = 5
# PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def _is_retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return code in RETRYABLE_SQLSTATES


def atomic_with_retry(func):
    """Run `func` in its own transaction, retrying it after a deadlock or serialization failure.

    Inside an outer transaction there is nothing to retry: the error goes to the outer owner.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            outermost = not connection.in_atomic_block
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as exc:
                if not (outermost and _is_retryable(exc)) or attempt == RETRY_ATTEMPTS:
                    raise
                logger.info("%s: transient conflict, retry %s: %s", func.__name__, attempt, exc)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper


def book_for_update(book_id: int) -> Book:
    """Lock the book row: the first lock of every use case touching a book."""
    book = Book.objects.select_for_update().filter(pk=book_id).first()
    if book is None:
        raise NotFound(_("No such book."))
    return book


def _locked_book_and_plan(*, book_id: int, customer_id: int, at: datetime) -> BookAndPlan:
    """Lock the book (the reserve's first lock) with the customer's plan as of `at`."""
    found = None
    if 0 < book_id <= MAX_ID:
        found = sql.locked_book_and_plan(book_id=book_id, customer_id=customer_id, at=at)
    if found is None:
        raise unknown_book(book_id)
    return found


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- settlement and raised units --------------------------------------------------------------


@atomic_with_retry
def _settle_book(*, book_id: int, at: datetime) -> int:
    book = Book.objects.select_for_update().filter(pk=book_id).first()
    if book is None:
        return 0
    return expire_due_on_locked_book(book=book, at=at)


def settle_due_reservations(
    *,
    book_ids: list[int] | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """End (as `expired`) every active reservation whose `ends_at` has passed, each through the
    release walk, and give shelf units to waiting entries whose suspension is over; limited to
    some books or to one customer's books. Returns how many reservations ended.

    Costs nothing while the settlement horizon (`reservations.settlement`) says nothing can be due
    yet, else one indexed query when nothing is due; a settlement of every book stores a new
    horizon (one more query). Safe to run concurrently and repeatedly: each
    book is settled in its own transaction under its row lock, re-reading what is due.
    """
    at = _now(now)
    if book_ids is not None and not book_ids:
        return 0
    nothing_due, generation = settlement.read(at)
    if nothing_due:
        return 0
    due_book_ids = sql.books_to_settle(at=at, book_ids=book_ids, customer_id=customer_id)
    settled = sum(_settle_book(book_id=book_id, at=at) for book_id in due_book_ids)
    if now is None and book_ids is None and customer_id is None:
        settlement.remember(generation=generation, at=at)
    return settled


def book_withdrawn(*, book: Book, at: datetime) -> int:
    """Drop everyone waiting for a book just withdrawn (reason `book_withdrawn`), suspended or
    not, and tell each once (after the commit); returns how many. Called inside the catalog's
    transaction with the book row locked, so nobody joins meanwhile, and nobody can after."""
    entries = list(
        QueueEntry.objects.filter(book_id=book.pk, status=QueueStatus.WAITING).values_list(
            "pk", "customer__user_id"
        )
    )
    if not entries:
        return 0
    QueueEntry.objects.filter(pk__in=[pk for pk, _user_id in entries]).update(
        status=QueueStatus.DROPPED, drop_reason=BOOK_WITHDRAWN, resolved_at=at
    )

    def message() -> str:
        return _(
            "“%(title)s” has been withdrawn from the library's catalog, so you were taken off "
            "its queue. Nothing was charged."
        ) % {"title": book.title}

    notify_many(
        NotificationEvent(
            user_id=user_id,
            kind=NotificationKind.QUEUE_DROPPED,
            message=message,
            event_key=f"queue_dropped:{pk}",
        )
        for pk, user_id in entries
    )
    return len(entries)


def book_units_added(*, book: Book, added: int, now: datetime | None = None) -> None:
    """Serve the queue with `added` new units of a book whose `total_units` was just raised.

    Called inside the catalog's transaction with the book row locked and `book.total_units`
    already raised; units nobody in the queue qualifies for are added to `available_units`
    (both figures are written from `book`).
    """
    if added > 0:
        release_units(book=book, units=added, at=_now(now))


# --- reserve ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveOutcome:
    """Either an active reservation (instant) or a waiting queue entry with its position (and its
    `estimated_available_at`)."""

    reservation: Reservation | None = None
    queue_entry: QueueEntry | None = None
    position: int | None = None
    plan: str = ""


def reservation_create(
    *, customer: Customer, book_id: int, days: int, now: datetime | None = None
) -> ReserveOutcome:
    """Reserve a unit now if one is free, else join the book's queue.

    A new entry's position and wait estimate are read after the transaction: they only inform
    the answer, and reading them under the book's lock (about 25 ms in Python and SQL) would make
    everyone reserving the same book wait for them (measured by `make bench`, figure 5).
    """
    outcome = _reserve_under_lock(customer=customer, book_id=book_id, days=days, now=now)
    entry = outcome.queue_entry
    if entry is None:
        return outcome
    _read_position_and_estimate(entry, at=_now(now))
    return replace(outcome, position=entry.position)


def _read_position_and_estimate(entry: QueueEntry, *, at: datetime) -> None:
    """Set a new entry's `position` and `estimated_available_at` from one snapshot: others join
    the queue meanwhile, and the estimate walks the queue up to the position just read
    (REPEATABLE READ on PostgreSQL; a transaction of the caller's is left as it is)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            sql.read_one_snapshot()
        try:
            entry.position = queue_entry_position(entry_id=entry.pk, at=at)
        except QueueEntry.DoesNotExist:  # served (or dropped) by a release since the commit
            entry.refresh_from_db()
            entry.position = None
        attach_estimates([entry], at=at)


@atomic_with_retry
def _reserve_under_lock(
    *, customer: Customer, book_id: int, days: int, now: datetime | None
) -> ReserveOutcome:
    at = _now(now)
    locked = _locked_book_and_plan(book_id=book_id, customer_id=customer.pk, at=at)
    book, plan = locked.book, locked.plan
    if book.is_withdrawn:
        raise BookWithdrawn()
    standing = Standing(plan=plan, days=days)
    ensure_may_start(standing)
    conflicts = sql.reserve_conflicts(book_id=book.pk, customer_id=customer.pk, at=at)
    if conflicts.settling.needed(book):
        # Settling may end the customer's own reservation or serve their entry: read again.
        expire_due_on_locked_book(book=book, at=at)
        conflicts = sql.reserve_conflicts(book_id=book.pk, customer_id=customer.pk, at=at)
    ensure_may_start(
        replace(standing, holds_book=conflicts.reserved, waits_for_book=conflicts.queued)
    )

    if book.available_units > 0:
        return _reserve_a_free_unit(customer_id=customer.pk, book=book, days=days, at=at)
    return _join_the_queue(customer=customer, book=book, standing=standing, at=at)


def _reserve_a_free_unit(
    *, customer_id: int, book: Book, days: int, at: datetime
) -> ReserveOutcome:
    """Take a unit of the locked book, asking the rule again under the customer's wallet lock."""
    wallet = wallet_for_update(customer_id=customer_id)
    figures = sql.reserve_figures(customer_id=customer_id, at=at)
    quote = pricing.quote_from_annotations(figures, days=days)
    rules = ensure_may_start(
        Standing(
            plan=figures.plan,
            days=days,
            active_count=figures.active_count,
            balance=wallet.balance,
            price=quote.price,
        )
    )
    reservation = start_reservation(wallet=wallet, book=book, days=days, quote=quote, at=at)
    book.available_units -= 1
    save_book_units(book)
    return ReserveOutcome(reservation=reservation, plan=rules.plan)


def _join_the_queue(
    *, customer: Customer, book: Book, standing: Standing, at: datetime
) -> ReserveOutcome:
    """Wait for the locked book; joining charges nothing, so the balance is checked without the
    wallet's lock."""
    balance = Wallet.objects.filter(customer_id=customer.pk).values_list("balance", flat=True)
    figures = sql.reserve_figures(customer_id=customer.pk, at=at)
    price = pricing.quote_from_annotations(figures, days=standing.days).price
    ensure_may_start(replace(standing, balance=balance.first() or 0, price=price))
    entry = QueueEntry.objects.create(
        customer=customer, book=book, days=standing.days, queued_at=at
    )
    return ReserveOutcome(queue_entry=entry, plan=standing.plan)


# --- renew and return -------------------------------------------------------------------------


def _lock_book_and_active_reservation(
    *, reservation_id: int, customer_id: int | None, at: datetime
) -> sql.ReservationOnLockedBook:
    """Lock the reservation's book, settle it, and return the reservation if still active, with
    its holder's user and whether anyone waits for the book."""
    book = None
    if 0 < reservation_id <= MAX_ID:
        book = sql.locked_book_of_reservation(
            reservation_id=reservation_id, customer_id=customer_id
        )
    if book is None:
        raise NotFound(_("No such reservation."))
    found = sql.reservation_on_locked_book(book=book, reservation_id=reservation_id, at=at)
    reservation = found.reservation
    if found.settling.needed(book):
        expire_due_on_locked_book(book=book, at=at)
        reservation.refresh_from_db(fields=["status", "ended_at"])
        # Settling can only serve or drop waiting entries: ask again only if someone waited.
        found = replace(
            found, queue_waiting=found.queue_waiting and _someone_waits(book_id=book.pk)
        )
    if not reservation.is_active:
        raise ReservationNotActive(status=reservation.status)
    return found


def _someone_waits(*, book_id: int) -> bool:
    return QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING).exists()


@atomic_with_retry
def reservation_renew(
    *, customer: Customer, reservation_id: int, days: int, now: datetime | None = None
) -> Reservation:
    """Extend an active reservation to `days` in total, charging the extra days at today's price."""
    at = _now(now)
    locked = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=customer.pk, at=at
    )
    reservation = locked.reservation
    if reservation.book.is_withdrawn:
        # A loan of a withdrawn book runs to its end, and no further.
        raise BookWithdrawn()
    if days <= reservation.days:
        raise ShorteningRefused(current_days=reservation.days)
    wallet = wallet_for_update(customer_id=customer.pk)
    standing = Standing(
        plan=sql.locked_plan(customer_id=customer.pk, at=at),
        days=days,
        someone_waits=locked.queue_waiting,
    )
    ensure_may_start(standing)
    quote = pricing.quote_for(customer_id=customer.pk, days=days - reservation.days, at=at)
    ensure_may_start(replace(standing, balance=wallet.balance, price=quote.price))
    charge_reservation_fee(wallet=wallet, reservation=reservation, price=quote.price)
    reservation.extend(new_days=days, extra_price=quote.price)
    return reservation


def discounts_repay(*, customer_id: int, since: datetime, refunded: int, at: datetime) -> int:
    """Take back, from a membership refund just credited, the 100% discounts it had paid for
    (`pricing.discounts_owed_on_refund`); returns the total.

    Runs in the refund's transaction under the customer's wallet lock. Each repaid discount is a
    `reservation_fee` ledger row of its reservation, and the reservation's price and discount
    show what it finally cost.
    """
    total = 0
    for owed in pricing.discounts_owed_on_refund(
        customer_id=customer_id, since=since, refunded=refunded, at=at
    ):
        reservation = owed.reservation
        wallet_debit(
            customer_id=customer_id,
            amount=owed.amount,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{reservation.pk}:discount_repaid",
        )
        base = reservation.days * pricing.PRICE_PER_DAY
        reservation.price += owed.amount
        reservation.discount_percent = (base - reservation.price) * 100 // base
        if not reservation.discount_percent:
            reservation.discount_reason = pricing.REASON_NONE
        reservation.save(update_fields=["price", "discount_percent", "discount_reason"])
        total += owed.amount
    return total


@atomic_with_retry
def reservation_return(
    *,
    customer: Customer,
    reservation_id: int,
    mark_as_read: bool = False,
    now: datetime | None = None,
) -> Reservation:
    """The member gives the book back (nothing is refunded); the unit goes to the queue first.
    `mark_as_read`: the book also moves to the member's "read" shelf, in the same transaction."""
    at = _now(now)
    locked = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=customer.pk, at=at
    )
    reservation = locked.reservation
    reservation.end(status=ReservationStatus.RETURNED, at=at)
    release_units(book=reservation.book, units=1, at=at, queue_empty=not locked.queue_waiting)
    if mark_as_read:
        shelf_put(
            customer_id=customer.pk, book_id=reservation.book_id, shelf=Shelf.READ, returning=True
        )
    return reservation


END_RESERVATION_PERMISSION = "reservations.change_reservation"
REMOVE_QUEUE_ENTRY_PERMISSION = "reservations.change_queueentry"


@atomic_with_retry
def admin_end_reservation(
    *, reservation_id: int, by: User, now: datetime | None = None
) -> Reservation:
    """Staff allowed to change reservations end one now; the unit is released to the queue like a
    return."""
    if not has_admin_permissions(by, END_RESERVATION_PERMISSION):
        raise AdminOnly()
    at = _now(now)
    locked = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=None, at=at
    )
    reservation, book = locked.reservation, locked.reservation.book
    reservation.end(status=ReservationStatus.ENDED_BY_ADMIN, at=at)
    notify(
        user_id=locked.holder_user_id,
        kind=NotificationKind.RESERVATION_ENDED_BY_ADMIN,
        message=lambda: (
            _("Library staff ended your reservation of “%(title)s”.") % {"title": book.title}
        ),
        event_key=f"reservation_ended_by_admin:{reservation.pk}",
    )
    release_units(book=book, units=1, at=at)
    return reservation


# --- the queue --------------------------------------------------------------------------------


def _lock_book_and_waiting_entry(*, entry_id: int, customer_id: int | None) -> QueueEntry:
    entries = QueueEntry.objects.filter(pk=entry_id)
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    book_id = entries.values_list("book_id", flat=True).first()
    if book_id is None:
        raise NotFound(_("No such queue entry."))
    book_for_update(book_id)
    entry = (
        QueueEntry.objects.select_for_update().select_related("customer", "book").get(pk=entry_id)
    )
    if not entry.is_waiting:
        raise QueueEntryNotWaiting(status=entry.status)
    return entry


@atomic_with_retry
def queue_leave(*, customer: Customer, entry_id: int, now: datetime | None = None) -> QueueEntry:
    """The member leaves a book's queue."""
    entry = _lock_book_and_waiting_entry(entry_id=entry_id, customer_id=customer.pk)
    entry.resolve(status=QueueStatus.LEFT, at=_now(now))
    return entry


@atomic_with_retry
def admin_remove_queue_entry(*, entry_id: int, by: User, now: datetime | None = None) -> QueueEntry:
    """Staff allowed to change queue entries take someone off a queue; the member is told."""
    if not has_admin_permissions(by, REMOVE_QUEUE_ENTRY_PERMISSION):
        raise AdminOnly()
    entry = _lock_book_and_waiting_entry(entry_id=entry_id, customer_id=None)
    entry.resolve(status=QueueStatus.REMOVED_BY_ADMIN, at=_now(now))
    notify(
        user_id=entry.customer.user_id,
        kind=NotificationKind.QUEUE_REMOVED_BY_ADMIN,
        message=lambda: (
            _("Library staff removed you from the queue for “%(title)s”.")
            % {"title": entry.book.title}
        ),
        event_key=f"queue_removed_by_admin:{entry.pk}",
    )
    return entry


MAX_SUSPENSION = timedelta(days=30)


def _check_suspension_end(*, until: datetime, at: datetime) -> None:
    latest = at + MAX_SUSPENSION
    if until <= at or until > latest:
        detail = _("Choose a moment after now and at most 30 days ahead.")
        raise InvalidSuspension(detail, errors={"until": [detail]}, latest_until=latest.isoformat())


@atomic_with_retry
def queue_suspend(
    *, customer: Customer, entry_id: int, until: datetime, now: datetime | None = None
) -> QueueEntry:
    """Keep the member's place but let the release walk skip the entry until `until` (at most 30
    days ahead); suspending again moves the end."""
    at = _now(now)
    _check_suspension_end(until=until, at=at)
    entry = _lock_book_and_waiting_entry(entry_id=entry_id, customer_id=customer.pk)
    entry.suspend(until=until)
    return entry


@atomic_with_retry
def queue_resume(*, customer: Customer, entry_id: int, now: datetime | None = None) -> QueueEntry:
    """End the member's suspension now; a unit left on the shelf meanwhile goes to the queue at
    once, in order (so the entry may come back fulfilled)."""
    at = _now(now)
    entry = _lock_book_and_waiting_entry(entry_id=entry_id, customer_id=customer.pk)
    entry.resume()
    expire_due_on_locked_book(book=entry.book, at=at)
    entry.refresh_from_db()
    return entry
