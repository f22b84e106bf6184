"""The hand-written statements of reservations, each named after what it returns.

They are written in SQL because the use cases run them on every reserve, grant, return or
catalog read, and the same queries composed through the ORM cost several times their database
time in Python (measured by `make bench`). The rules they test are not written here: the SQL
fragments of `reservations.rules`, `reservations.pricing` and `accounts.plans` are composed.
Statements whose best plan depends on the values (a queue of a few entries against the whole
table) run with `cursor.execute` and are planned each time; the others are prepared by name.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from accounts.models import Customer
from accounts.plans import SqlFragment, plan_at_sql, sql_param
from catalog.models import Book
from core import prepared
from core.rows import model_from_row
from purchasing.selectors import paid_ledger_sum_sql
from reservations import pricing
from reservations import rules as reservation_rules
from reservations.models import QueueEntry, Reservation

# Statuses written into the statements as constants, as the partial indexes' own conditions are
# (a prepared statement's generic plan can use those indexes only then).
ACTIVE, WAITING = reservation_rules.ACTIVE, reservation_rules.WAITING
# What the use cases read of a locked book (the other fields are loaded if ever used); a book
# built from them is saved by `save_book_units`.
LOCKED_BOOK_FIELDS = ["id", "title", "total_units", "available_units", "withdrawn_at"]
RESERVATION, ENTRY, BOOK = (m._meta.db_table for m in (Reservation, QueueEntry, Book))


def _for_update_of(alias: str) -> str:
    """The clause locking the rows of `alias` only (none on SQLite, which locks the database)."""
    if not connection.features.has_select_for_update:
        return ""
    return (
        f" FOR UPDATE OF {alias}" if connection.features.has_select_for_update_of else " FOR UPDATE"
    )


def _locked_book(row) -> Book:
    return Book.from_db(connection.alias, LOCKED_BOOK_FIELDS, row[: len(LOCKED_BOOK_FIELDS)])


def _fetch_one(statement: str | prepared.Statement, params: list):
    with connection.cursor() as cursor:
        if isinstance(statement, prepared.Statement):
            statement.execute(cursor, params)
        else:
            cursor.execute(statement, params)
        return cursor.fetchone()


def read_one_snapshot() -> None:
    """Make the transaction just begun read one snapshot throughout (REPEATABLE READ on
    PostgreSQL; SQLite's transactions always do)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


# --- the book locks ---------------------------------------------------------------------------


def _book_lock_with_plan_sql() -> str:
    plan_sql, _ = plan_at_sql(customer=sql_param(None), moment=sql_param(None))
    return (
        f"SELECT b.{', b.'.join(LOCKED_BOOK_FIELDS)}, {plan_sql}"
        f" FROM {BOOK} b WHERE b.id = %s{_for_update_of('b')}"
    )


BOOK_LOCK_WITH_PLAN = prepared.register("reserve_book_lock_plan", _book_lock_with_plan_sql)


@dataclass(frozen=True, slots=True)
class BookAndPlan:
    book: Book
    plan: str


def locked_book_and_plan(*, book_id: int, customer_id: int, at: datetime) -> BookAndPlan | None:
    """The book, its row locked (the reserve's first lock), and the customer's plan as of `at`
    read in the same statement (None: no such book).

    The ORM needs two round trips for the lock and the membership read. Memberships take no
    lock: reading them after the book lock only makes the plan fresher.
    """
    _, plan_params = plan_at_sql(customer=sql_param(customer_id), moment=sql_param(at))
    row = _fetch_one(BOOK_LOCK_WITH_PLAN, [*plan_params, book_id])
    return None if row is None else BookAndPlan(book=_locked_book(row), plan=row[-1])


def _reservation_book_lock_sql(*, mine: bool) -> str:
    return (
        f"SELECT b.{', b.'.join(LOCKED_BOOK_FIELDS)} FROM {BOOK} b"
        f" JOIN {RESERVATION} r ON r.book_id = b.id WHERE r.id = %s"
        + (" AND r.customer_id = %s" if mine else "")
        + _for_update_of("b")
    )


RESERVATION_BOOK_LOCK = prepared.register(
    "reservation_book_lock", lambda: _reservation_book_lock_sql(mine=False)
)
MY_RESERVATION_BOOK_LOCK = prepared.register(
    "reservation_book_lock_mine", lambda: _reservation_book_lock_sql(mine=True)
)


def locked_book_of_reservation(*, reservation_id: int, customer_id: int | None) -> Book | None:
    """The reservation's book, its row locked; with `customer_id`, only if the reservation is
    theirs (None: no such reservation).

    The book is found through the reservation in the locking statement itself: a reservation's
    book never changes, and both conditions hold for the same reservation row.
    """
    if customer_id is None:
        row = _fetch_one(RESERVATION_BOOK_LOCK, [reservation_id])
    else:
        row = _fetch_one(MY_RESERVATION_BOOK_LOCK, [reservation_id, customer_id])
    return None if row is None else _locked_book(row)


# --- what a locked book needs -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settling:
    """Whether one of a locked book's active reservations is due, and whether an entry waits
    that the walk may serve (with units on the shelf, such an entry is owed one)."""

    has_due: bool
    has_servable: bool

    def needed(self, book: Book) -> bool:
        """Whether the book must be settled before anything is decided on it."""
        return self.has_due or (book.available_units > 0 and self.has_servable)


def _settling_sql(*, book_id: int, at: datetime) -> SqlFragment:
    due_sql, due_params = reservation_rules.due_sql(alias="r", moment=sql_param(at))
    servable_sql, servable_params = reservation_rules.servable_sql(alias="q", moment=sql_param(at))
    sql = (
        f"EXISTS(SELECT 1 FROM {RESERVATION} r WHERE r.book_id = %s AND {due_sql}),"
        f" EXISTS(SELECT 1 FROM {ENTRY} q WHERE q.book_id = %s AND {servable_sql})"
    )
    return sql, [book_id, *due_params, book_id, *servable_params]


@dataclass(frozen=True, slots=True)
class ReserveConflicts:
    settling: Settling
    reserved: bool  # the customer holds the book
    queued: bool  # the customer waits for it


def reserve_conflicts(*, book_id: int, customer_id: int, at: datetime) -> ReserveConflicts:
    """What the reserve must know of a locked book, in one statement read under the lock:
    whether it needs settling first, and whether the customer already holds or waits for it.

    Not prepared: a generic plan cannot know how few entries wait for one book and scans the
    whole queue table (three times slower).
    """
    settling, params = _settling_sql(book_id=book_id, at=at)
    sql = (
        f"SELECT {settling},"
        f" EXISTS(SELECT 1 FROM {RESERVATION} WHERE book_id = %s AND status = '{ACTIVE}'"
        "  AND customer_id = %s),"
        f" EXISTS(SELECT 1 FROM {ENTRY} WHERE book_id = %s AND status = '{WAITING}'"
        "  AND customer_id = %s)"
    )
    row = _fetch_one(sql, [*params, book_id, customer_id, book_id, customer_id])
    has_due, has_servable, reserved, queued = map(bool, row)
    return ReserveConflicts(
        settling=Settling(has_due=has_due, has_servable=has_servable),
        reserved=reserved,
        queued=queued,
    )


@dataclass(frozen=True, slots=True)
class ReservationOnLockedBook:
    reservation: Reservation
    holder_user_id: int  # the user of the reservation's customer
    settling: Settling
    queue_waiting: bool  # whether anyone waited for the book when it was read


def reservation_on_locked_book(
    *, book: Book, reservation_id: int, at: datetime
) -> ReservationOnLockedBook:
    """A reservation of a locked book, with what the book needs and whether anyone waits for it.

    Not prepared: a generic plan cannot know how few entries wait for one book and scans the
    whole queue table.
    """
    columns = ", ".join(f"r.{field.column}" for field in Reservation._meta.concrete_fields)
    settling, params = _settling_sql(book_id=book.pk, at=at)
    sql = (
        f"SELECT {columns}, c.user_id, {settling},"
        f" EXISTS(SELECT 1 FROM {ENTRY} WHERE book_id = %s AND status = '{WAITING}')"
        f" FROM {RESERVATION} r JOIN {Customer._meta.db_table} c ON c.id = r.customer_id"
        " WHERE r.id = %s"
    )
    *values, user_id, has_due, has_servable, queue_waiting = _fetch_one(
        sql, [*params, book.pk, reservation_id]
    )
    reservation = model_from_row(Reservation, values)
    reservation.book = book
    return ReservationOnLockedBook(
        reservation=reservation,
        holder_user_id=user_id,
        settling=Settling(has_due=bool(has_due), has_servable=bool(has_servable)),
        queue_waiting=bool(queue_waiting),
    )


# --- settlement -------------------------------------------------------------------------------


def books_to_settle(
    *, at: datetime, book_ids: list[int] | None, customer_id: int | None
) -> list[int]:
    """Books with an active reservation due at `at`, or with shelf units and a waiting entry
    whose suspension is over: one query on the partial indexes of both when nothing is due.

    Every catalog read runs it first.
    """
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
        f"SELECT book_id FROM {ENTRY} q WHERE {lapsed_sql}{narrow} "
        f"AND EXISTS (SELECT 1 FROM {BOOK} b WHERE b.id = q.book_id AND b.available_units > 0)"
    )
    lapsed_params = [*lapsed_params, *narrow_params]
    due_sql, due_params = reservation_rules.due_sql(alias="r", moment=moment)
    # Whether one is due, asked as "is the earliest end among active reservations <= `at`": one
    # probe of an index on `ends_at` at any catalog size; listing the due ones only when there
    # are some keeps the planner from scanning every active reservation (its estimate counts the
    # ended ones too).
    check = (
        f"SELECT (SELECT MIN(ends_at) FROM {RESERVATION} WHERE status = %s{narrow}) <= %s, "
        f"EXISTS ({lapsed})"
    )
    with connection.cursor() as cursor:
        cursor.execute(check, [ACTIVE, *narrow_params, *moment[1], *lapsed_params])
        if not any(cursor.fetchone()):
            return []
        cursor.execute(
            f"SELECT book_id FROM {RESERVATION} r WHERE {due_sql}{narrow} UNION {lapsed}",
            [*due_params, *narrow_params, *lapsed_params],
        )
        return sorted(row[0] for row in cursor.fetchall())


# --- under the wallet lock --------------------------------------------------------------------


def locked_plan(*, customer_id: int, at: datetime) -> str:
    """The plan to apply under the customer's wallet lock (see `reserve_figures`)."""
    sql, params = pricing.locked_plan_sql(customer_id=customer_id, at=at)
    (plan,) = _fetch_one(f"SELECT {sql}", params)
    return plan


@dataclass(frozen=True, slots=True)
class ReserveFigures:
    """What the plan, the limit and the price of a reserve or a grant depend on."""

    plan: str
    active_count: int
    ledger_sum_60d: int
    distinct_books_30d: int


def reserve_figures(*, customer_id: int, at: datetime) -> ReserveFigures:
    """The customer's plan, active reservations and both pricing figures as of `at`, in one
    statement: the plan as `pricing.locked_plan_sql` reads it, the limit's count
    (`rules.counting_toward_limit_sql`), and the paid sum and loyalty count as
    `pricing.pricing_annotations` reads them. Not prepared: its generic plan runs slower than
    the plan made for each customer's figures.

    Read it after taking the customer's wallet lock: the lock serialises the customer's reserves,
    so the count cannot change before the reservation is written. It serialises plan switches
    too, and `plan` is read then: the plan as of `at`, or as of the start of a membership bought
    after `at` (a switch that took the lock first), so a reserve never uses limits that a switch
    has just replaced.
    """
    customer = sql_param(customer_id)
    plan_sql, plan_params = pricing.locked_plan_sql(customer_id=customer_id, at=at)
    holding_sql, holding_params = reservation_rules.counting_toward_limit_sql(
        alias="r", moment=sql_param(at)
    )
    paid_sql, paid_params = paid_ledger_sum_sql(
        customer=customer, since=sql_param(pricing.paid_since(at))
    )
    books_sql, books_params = pricing.distinct_books_sql(customer=customer, at=at)
    sql = (
        f"SELECT {plan_sql},"
        f" (SELECT COUNT(*) FROM {RESERVATION} r WHERE r.customer_id = %s AND {holding_sql}),"
        f" {paid_sql}, {books_sql}"
    )
    params = [*plan_params, customer_id, *holding_params, *paid_params, *books_params]
    plan, active, ledger_sum_60d, books = _fetch_one(sql, params)
    return ReserveFigures(
        plan=plan,
        active_count=active,
        ledger_sum_60d=int(ledger_sum_60d),
        distinct_books_30d=books,
    )


# --- units ------------------------------------------------------------------------------------

BOOK_UNITS_SAVE = prepared.register(
    "book_units_save",
    f"UPDATE {BOOK} SET total_units = %s, available_units = %s WHERE id = %s",
)


def save_book_units(book: Book) -> None:
    """Write `total_units` and `available_units` of a locked book from `book` (every reserve
    and return writes them)."""
    with connection.cursor() as cursor:
        BOOK_UNITS_SAVE.execute(cursor, [book.total_units, book.available_units, book.pk])
