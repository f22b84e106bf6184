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

from accounts.errors import AdminOnly
from accounts.models import Customer, NotificationKind, User
from accounts.notifications import notify
from accounts.plans import plan_at_sql, sql_param
from catalog.models import Book
from core import prepared
from core.errors import NotFound
from core.permissions import has_admin_permissions
from core.rows import model_from_row
from purchasing.models import TransactionKind, Wallet
from purchasing.services import wallet_debit, wallet_for_update
from reservations import pricing, settlement
from reservations import rules as reservation_rules
from reservations.errors import (
    InvalidSuspension,
    QueueEntryNotWaiting,
    ReservationNotActive,
    ShorteningRefused,
)
from reservations.estimates import attach_estimates
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.queue import (
    expire_due_on_locked_book,
    locked_plan,
    release_units,
    save_book_units,
    start_reservation,
)
from reservations.rules import Standing, ensure_may_start
from reservations.selectors import (
    MAX_ID,
    queue_entry_position,
    unknown_book,
)

logger = logging.getLogger(__name__)

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
        raise NotFound("No such book.")
    return book


# Statuses written into the hand-written statements as constants, as the partial indexes' own
# conditions are (a prepared statement's generic plan can use those indexes only then).
ACTIVE, WAITING = ReservationStatus.ACTIVE.value, QueueStatus.WAITING.value
# What the use cases below read of a locked book (the other fields are loaded if ever used).
LOCKED_BOOK_FIELDS = ["id", "title", "total_units", "available_units"]


def _for_update_of(alias: str) -> str:
    """The clause locking the rows of `alias` only (none on SQLite, which locks the database)."""
    if not connection.features.has_select_for_update:
        return ""
    return (
        f" FOR UPDATE OF {alias}" if connection.features.has_select_for_update_of else " FOR UPDATE"
    )


def _locked_book(row) -> Book:
    return Book.from_db(connection.alias, LOCKED_BOOK_FIELDS, row[: len(LOCKED_BOOK_FIELDS)])


def _book_lock_with_plan_sql() -> str:
    plan_sql, _ = plan_at_sql(customer=sql_param(None), moment=sql_param(None))
    return (
        f"SELECT b.{', b.'.join(LOCKED_BOOK_FIELDS)}, {plan_sql}"
        f" FROM {Book._meta.db_table} b WHERE b.id = %s{_for_update_of('b')}"
    )


BOOK_LOCK_WITH_PLAN = prepared.register("reserve_book_lock_plan", _book_lock_with_plan_sql)


def _book_for_update_with_plan(*, book_id: int, customer_id: int, at: datetime) -> tuple[Book, str]:
    """Lock the book row (the reserve's first lock) and read, in the same statement, the
    customer's plan as of `at` (`accounts.plans.plan_at_sql`).

    In SQL because the ORM needs two round trips for the lock and the membership read, and they
    cost several times their database time in Python on every reserve (measured by `make bench`).
    Memberships take no lock: reading them after the book lock only makes the plan fresher.
    """
    _, plan_params = plan_at_sql(customer=sql_param(customer_id), moment=sql_param(at))
    params = [*plan_params, book_id]
    row = None
    if 0 < book_id <= MAX_ID:
        with connection.cursor() as cursor:
            BOOK_LOCK_WITH_PLAN.execute(cursor, params)
            row = cursor.fetchone()
    if row is None:
        raise unknown_book(book_id)
    return _locked_book(row), row[-1]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- settlement and raised units --------------------------------------------------------------


@atomic_with_retry
def _settle_book(*, book_id: int, at: datetime) -> int:
    book = Book.objects.select_for_update().filter(pk=book_id).first()
    if book is None:
        return 0
    return expire_due_on_locked_book(book=book, at=at)


def _books_to_settle(
    *, at: datetime, book_ids: list[int] | None, customer_id: int | None
) -> list[int]:
    """Books with an active reservation due at `at`, or with shelf units and a waiting entry
    whose suspension is over: one query on the partial indexes of both when nothing is due.

    Written in SQL because every catalog read runs it first, and the same query through the ORM
    costs several times the database's own time in Python (measured by `make bench`).
    """
    reservation, entry = Reservation._meta.db_table, QueueEntry._meta.db_table
    book = Book._meta.db_table
    moment = sql_param(at)
    narrow, narrow_params = "", []
    if book_ids is not None:
        narrow += f" AND book_id IN ({', '.join(['%s'] * len(book_ids))})"
        narrow_params += list(book_ids)
    if customer_id is not None:
        narrow += " AND customer_id = %s"
        narrow_params.append(customer_id)
    lapsed_sql, lapsed_params = reservation_rules.had_suspension_over_sql(alias="q", moment=moment)
    lapsed = (
        f"SELECT book_id FROM {entry} q WHERE {lapsed_sql}{narrow} "
        f"AND EXISTS (SELECT 1 FROM {book} b WHERE b.id = q.book_id AND b.available_units > 0)"
    )
    lapsed_params = [*lapsed_params, *narrow_params]
    due_sql, due_params = reservation_rules.due_sql(alias="r", moment=moment)
    # Whether one is due, asked as "is the earliest end among active reservations <= `at`": one
    # probe of an index on `ends_at` at any catalog size; listing the due ones only when there
    # are some keeps the planner from scanning every active reservation (its estimate counts the
    # ended ones too).
    check = (
        f"SELECT (SELECT MIN(ends_at) FROM {reservation} WHERE status = %s{narrow}) <= %s, "
        f"EXISTS ({lapsed})"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            check, [reservation_rules.ACTIVE, *narrow_params, *moment[1], *lapsed_params]
        )
        if not any(cursor.fetchone()):
            return []
        cursor.execute(
            f"SELECT book_id FROM {reservation} r WHERE {due_sql}{narrow} UNION {lapsed}",
            [*due_params, *narrow_params, *lapsed_params],
        )
        return sorted(row[0] for row in cursor.fetchall())


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
    due_book_ids = _books_to_settle(at=at, book_ids=book_ids, customer_id=customer_id)
    settled = sum(_settle_book(book_id=book_id, at=at) for book_id in due_book_ids)
    if now is None and book_ids is None and customer_id is None:
        settlement.remember(generation=generation, at=at)
    return settled


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


def _settling_flags_sql(*, book_id: int, at: datetime) -> tuple[str, list]:
    """Two SQL columns on a locked book: whether one of its active reservations is due at `at`,
    and whether an entry waits that the walk may serve at `at` (with units on the shelf, such an
    entry is owed one). Either way the book is settled before anything is decided on it.
    """
    reservation, entry = Reservation._meta.db_table, QueueEntry._meta.db_table
    due_sql, due_params = reservation_rules.due_sql(alias="r", moment=sql_param(at))
    servable_sql, servable_params = reservation_rules.servable_sql(alias="q", moment=sql_param(at))
    sql = (
        f"EXISTS(SELECT 1 FROM {reservation} r WHERE r.book_id = %s AND {due_sql}) AS has_due,"
        f" EXISTS(SELECT 1 FROM {entry} q WHERE q.book_id = %s AND {servable_sql})"
        " AS has_servable"
    )
    return sql, [book_id, *due_params, book_id, *servable_params]


def _reserve_conflicts(*, book: Book, customer_id: int, at: datetime) -> dict[str, bool]:
    """What the reserve path must know of a locked book, in one query read under the lock:
    whether it needs settling first, and whether the customer already holds or waits for it.

    In SQL because, composed through the ORM, this one statement costs several times its
    database time in Python on every reserve (measured by `make bench`). Not prepared: a generic
    plan cannot know how few entries wait for one book and scans the whole queue table (three
    times slower).
    """
    reservation, entry = Reservation._meta.db_table, QueueEntry._meta.db_table
    settling, params = _settling_flags_sql(book_id=book.pk, at=at)
    sql = (
        f"SELECT {settling},"
        f" EXISTS(SELECT 1 FROM {reservation} WHERE book_id = %s AND status = '{ACTIVE}'"
        "  AND customer_id = %s),"
        f" EXISTS(SELECT 1 FROM {entry} WHERE book_id = %s AND status = '{WAITING}'"
        "  AND customer_id = %s)"
    )
    params += [book.pk, customer_id, book.pk, customer_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(("has_due", "has_servable", "reserved", "queued"), map(bool, row), strict=True))


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
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
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
    book, plan = _book_for_update_with_plan(book_id=book_id, customer_id=customer.pk, at=at)
    standing = Standing(plan=plan, days=days)
    ensure_may_start(standing)
    state = _reserve_conflicts(book=book, customer_id=customer.pk, at=at)
    if state["has_due"] or (book.available_units and state["has_servable"]):
        # Settling may end the customer's own reservation or serve their entry: read again.
        expire_due_on_locked_book(book=book, at=at)
        state = _reserve_conflicts(book=book, customer_id=customer.pk, at=at)
    ensure_may_start(
        replace(standing, holds_book=state["reserved"], waits_for_book=state["queued"])
    )

    if book.available_units > 0:
        wallet = wallet_for_update(customer_id=customer.pk)
        figures = pricing.reserve_figures(customer_id=customer.pk, at=at)
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

    # Joining charges nothing: the balance is checked without the wallet's lock.
    wallet = Wallet.objects.filter(customer_id=customer.pk).values_list("balance", flat=True)
    price = pricing.quote_from_annotations(
        pricing.reserve_figures(customer_id=customer.pk, at=at), days=days
    ).price
    ensure_may_start(replace(standing, balance=wallet.first() or 0, price=price))
    entry = QueueEntry.objects.create(customer=customer, book=book, days=days, queued_at=at)
    return ReserveOutcome(queue_entry=entry, plan=plan)


# --- renew and return -------------------------------------------------------------------------


def _reservation_book_lock_sql(*, mine: bool) -> str:
    book, reservation = Book._meta.db_table, Reservation._meta.db_table
    return (
        f"SELECT b.{', b.'.join(LOCKED_BOOK_FIELDS)} FROM {book} b"
        f" JOIN {reservation} r ON r.book_id = b.id WHERE r.id = %s"
        + (" AND r.customer_id = %s" if mine else "")
        + _for_update_of("b")
    )


RESERVATION_BOOK_LOCK = prepared.register(
    "reservation_book_lock", lambda: _reservation_book_lock_sql(mine=False)
)
MY_RESERVATION_BOOK_LOCK = prepared.register(
    "reservation_book_lock_mine", lambda: _reservation_book_lock_sql(mine=True)
)


def _lock_book_and_active_reservation(
    *, reservation_id: int, customer_id: int | None, at: datetime
) -> tuple[Book, Reservation]:
    """Lock the reservation's book, settle it, and return the reservation if still active.

    The book is found through the reservation in the locking statement itself (a reservation's
    book never changes; with `customer_id`, both conditions hold for the same reservation row).
    The reservation is read after the lock, in one statement with whether the book needs
    settling and `queue_waiting`: whether anyone waited for the book then (settling can only
    lower that), and `holder_user_id`, its customer's user.

    In SQL because these two statements, composed through the ORM, cost several times their
    database time in Python on every return (measured by `make bench`). The second is not
    prepared: a generic plan cannot know how few entries wait for one book and scans the whole
    queue table.
    """
    if customer_id is None:
        lock, params = RESERVATION_BOOK_LOCK, [reservation_id]
    else:
        lock, params = MY_RESERVATION_BOOK_LOCK, [reservation_id, customer_id]
    row = None
    if 0 < reservation_id <= MAX_ID:
        with connection.cursor() as cursor:
            lock.execute(cursor, params)
            row = cursor.fetchone()
    if row is None:
        raise NotFound("No such reservation.")
    book = _locked_book(row)

    entry_table, customer_table = QueueEntry._meta.db_table, Customer._meta.db_table
    reservation_table = Reservation._meta.db_table
    columns = ", ".join(f"r.{field.column}" for field in Reservation._meta.concrete_fields)
    settling, params = _settling_flags_sql(book_id=book.pk, at=at)
    sql = (
        f"SELECT {columns}, c.user_id, {settling},"
        f" EXISTS(SELECT 1 FROM {entry_table} WHERE book_id = %s AND status = '{WAITING}')"
        f" FROM {reservation_table} r JOIN {customer_table} c ON c.id = r.customer_id"
        " WHERE r.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, book.pk, reservation_id])
        *values, user_id, has_due, has_servable, queue_waiting = cursor.fetchone()
    reservation = model_from_row(Reservation, values)
    reservation.book = book
    reservation.holder_user_id, reservation.queue_waiting = user_id, bool(queue_waiting)
    if has_due or (book.available_units and has_servable):
        expire_due_on_locked_book(book=book, at=at)
        reservation.refresh_from_db(fields=["status", "ended_at"])
        # Settling can only serve or drop waiting entries: ask again only if someone waited.
        reservation.queue_waiting = reservation.queue_waiting and _someone_waits(book_id=book.pk)
    if not reservation.is_active:
        raise ReservationNotActive(status=reservation.status)
    return book, reservation


def _someone_waits(*, book_id: int) -> bool:
    return QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING).exists()


@atomic_with_retry
def reservation_renew(
    *, customer: Customer, reservation_id: int, days: int, now: datetime | None = None
) -> Reservation:
    """Extend an active reservation to `days` in total, charging the extra days at today's price."""
    at = _now(now)
    _, reservation = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=customer.pk, at=at
    )
    if days <= reservation.days:
        raise ShorteningRefused(current_days=reservation.days)
    wallet = wallet_for_update(customer_id=customer.pk)
    standing = Standing(
        plan=locked_plan(customer_id=customer.pk, at=at),
        days=days,
        someone_waits=reservation.queue_waiting,
    )
    ensure_may_start(standing)
    quote = pricing.quote_for(customer_id=customer.pk, days=days - reservation.days, at=at)
    ensure_may_start(replace(standing, balance=wallet.balance, price=quote.price))
    if quote.price:
        wallet_debit(
            customer_id=customer.pk,
            amount=quote.price,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{reservation.pk}",
            locked_wallet=wallet,
        )
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
    *, customer: Customer, reservation_id: int, now: datetime | None = None
) -> Reservation:
    """The member gives the book back (nothing is refunded); the unit goes to the queue first."""
    at = _now(now)
    book, reservation = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=customer.pk, at=at
    )
    reservation.end(status=ReservationStatus.RETURNED, at=at)
    release_units(book=book, units=1, at=at, queue_empty=not reservation.queue_waiting)
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
    book, reservation = _lock_book_and_active_reservation(
        reservation_id=reservation_id, customer_id=None, at=at
    )
    reservation.end(status=ReservationStatus.ENDED_BY_ADMIN, at=at)
    notify(
        user_id=reservation.holder_user_id,
        kind=NotificationKind.RESERVATION_ENDED_BY_ADMIN,
        message=f"Library staff ended your reservation of “{book.title}”.",
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
        raise NotFound("No such queue entry.")
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
        message=f"Library staff removed you from the queue for “{entry.book.title}”.",
        event_key=f"queue_removed_by_admin:{entry.pk}",
    )
    return entry


MAX_SUSPENSION = timedelta(days=30)


def _check_suspension_end(*, until: datetime, at: datetime) -> None:
    latest = at + MAX_SUSPENSION
    if until <= at or until > latest:
        detail = "Choose a moment after now and at most 30 days ahead."
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
