"""Reads about reservations and queues that views and other apps use.

Selectors only read. Before reading a book's reservations or queue, the caller settles that book's
due reservations (`services.settle_due_reservations`), so nobody ever sees (or is blocked by) a
reservation whose time has passed, even without a running worker.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Customer
from accounts.plans import PlanRules
from accounts.selectors import current_plan
from catalog.errors import BookWithdrawn
from catalog.models import Book
from purchasing.models import Wallet
from reservations import pricing
from reservations.estimates import attach_estimates, estimate_for_newcomer, estimate_queue
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.queue import waiting_in_priority_order, with_live_position
from reservations.rules import (
    ARRIVAL_ORDER,
    REFUSALS,
    Standing,
    counting_toward_limit_q,
    due_sql,
    ensure_may_start,
    had_suspension_over_sql,
    plan_annotations,
    start_refusal,
)

# The largest primary key: a bigger id names no row (and is refused by SQLite's driver).
MAX_ID = 2**63 - 1


def unknown_book(book_id: int) -> ValidationError:
    """The 400 naming `book` for a book id that names no book (the one DRF's related field gives)."""
    return ValidationError(
        # DRF's own message (and its translations), as its related field gives it.
        {
            "book": gettext('Invalid pk "{pk_value}" - object does not exist.').format(
                pk_value=book_id
            )
        },
        code="does_not_exist",
    )


def active_reservation_count(*, at: datetime, customer_ref: str = "customer_id") -> Coalesce:
    """`customer_active_reservation_count` as a correlated subquery, to read it with other figures."""
    active = Reservation.objects.filter(
        counting_toward_limit_q(at), customer_id=OuterRef(customer_ref)
    )
    return _row_count(active, per="customer_id")


def _row_count(correlated: QuerySet, *, per: str) -> Coalesce:
    """The number of rows of a correlated queryset (filtered on an `OuterRef`), grouped `per` the
    outer row's column, as a subquery: 0 when there are none."""
    counted = correlated.order_by().values(per).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


def customer_active_reservation_count(*, customer_id: int, at: datetime | None = None) -> int:
    """Active reservations whose time has not passed (a due one never counts against the limit)."""
    return Reservation.objects.filter(
        counting_toward_limit_q(at or timezone.now()), customer_id=customer_id
    ).count()


@dataclass(frozen=True)
class ActiveLoans:
    count: int
    longest_days: int


def active_loans(*, customer_id: int, at: datetime) -> ActiveLoans:
    """How many reservations the customer holds at `at` and the longest one's total days: what a
    plan's limits are measured against (a due reservation no longer counts)."""
    figures = Reservation.objects.filter(
        counting_toward_limit_q(at), customer_id=customer_id
    ).aggregate(count=Count("id"), longest=Max("days"))
    return ActiveLoans(count=figures["count"], longest_days=figures["longest"] or 0)


def reservable_plan_rules(*, customer: Customer, days: int, at: datetime) -> PlanRules:
    """The customer's plan rules as of `at`, if they allow reserving `days` days (else the error)."""
    return ensure_may_start(Standing(plan=current_plan(customer=customer, at=at), days=days))


def book_is_in_use(*, book_id: int) -> bool:
    """A book someone holds or waits for cannot be deleted."""
    return (
        Reservation.objects.filter(book_id=book_id, status=ReservationStatus.ACTIVE).exists()
        or QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING).exists()
    )


def customer_has_borrowed(*, customer_id: int, book_id: int) -> bool:
    """Has the member ever held a copy of the book: any reservation of it, whatever its end."""
    return Reservation.objects.filter(customer_id=customer_id, book_id=book_id).exists()


def customer_reservations(*, customer_id: int, status: str | None = None) -> QuerySet[Reservation]:
    """A member's reservations, newest first."""
    queryset = Reservation.objects.filter(customer_id=customer_id).select_related("book")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def customer_reservation_book_id(*, customer_id: int, reservation_id: int) -> int | None:
    """The book of one of the member's reservations (None when it is not theirs): the book to
    settle before the reservation is read."""
    return (
        Reservation.objects.filter(pk=reservation_id, customer_id=customer_id)
        .values_list("book_id", flat=True)
        .first()
    )


def reservation_with_book(*, reservation_id: int) -> Reservation:
    return Reservation.objects.select_related("book").get(pk=reservation_id)


def customer_queue_with_positions(
    *, customer_id: int, at: datetime | None = None
) -> QuerySet[QueueEntry]:
    """The member's waiting entries with their live position, oldest first."""
    queryset = QueueEntry.objects.filter(
        customer_id=customer_id, status=QueueStatus.WAITING
    ).select_related("book")
    return with_live_position(queryset, at=at or timezone.now()).order_by(*ARRIVAL_ORDER)


def queue_entries_with_estimates(
    entries: list[QueueEntry], *, at: datetime | None = None
) -> list[QueueEntry]:
    """Waiting entries that carry `position` and `book` (a page of the member's queue), each with
    `estimated_available_at` too: two queries for any number of entries."""
    attach_estimates(entries, at=at or timezone.now())
    return entries


def customer_queue_entry(*, customer_id: int, entry_id: int, at: datetime | None = None):
    """One of the member's queue entries with its live position and estimate (both None once it is
    no longer waiting); None when it is not theirs."""
    at = at or timezone.now()
    queryset = QueueEntry.objects.filter(pk=entry_id, customer_id=customer_id).select_related(
        "book"
    )
    entry = with_live_position(queryset, at=at).first()
    if entry is None:
        return None
    if not entry.is_waiting:
        entry.position = None
    return queue_entries_with_estimates([entry], at=at)[0]


def queue_entry_position(*, entry_id: int, at: datetime | None = None) -> int:
    queryset = QueueEntry.objects.filter(pk=entry_id, status=QueueStatus.WAITING)
    return (
        with_live_position(queryset, at=at or timezone.now())
        .values_list("position", flat=True)
        .get()
    )


@dataclass(frozen=True)
class BookHoldersAndQueue:
    holders: list[Reservation]
    # in priority order, each with `position`, `queue_plan` and `estimated_available_at`
    queue: list[QueueEntry]


# Holders and waiters are reservation and queue-entry rows: staff see them where the admin
# shows those rows.
HOLDERS_PERMISSIONS = ("reservations.view_reservation", "reservations.view_queueentry")


def book_holders_and_queue(*, book_id: int, at: datetime | None = None) -> BookHoldersAndQueue:
    """Who holds a book and who waits for it, in the order the queue would be served at `at`."""
    at = at or timezone.now()
    holders = list(
        Reservation.objects.filter(book_id=book_id, status=ReservationStatus.ACTIVE)
        .select_related("customer__user")
        .order_by("ends_at", "id")
    )
    queue = list(waiting_in_priority_order(book_id=book_id, at=at).select_related("customer__user"))
    for position, entry in enumerate(queue, start=1):
        entry.position = position
    if queue:
        available = Book.objects.filter(pk=book_id).values_list("available_units", flat=True)
        estimate_queue(queue=queue, holders=holders, available_units=available.get(), at=at)
    return BookHoldersAndQueue(holders=holders, queue=queue)


@dataclass(frozen=True)
class ReservationQuote:
    """What reserving `days` of a book would cost now and whether it would be instant or queued."""

    book_id: int
    days: int
    plan: str
    base_price: int
    discount_percent: int
    discount_reason: str
    price: int
    outcome: str  # "instant" or "queued"
    position: int | None  # where the customer would join the queue, when queued
    estimated_available_at: datetime | None  # when a unit would reach them, when queued
    balance: int
    blocked_by: str | None  # the error code reserving would answer now, if any


def reservation_quote(
    *, customer: Customer, book_id: int, days: int, at: datetime | None = None
) -> ReservationQuote:
    """The reserve computation without reserving (membership and duration errors are raised)."""
    at = at or timezone.now()
    if not 0 < book_id <= MAX_ID:
        raise unknown_book(book_id)
    found = Book.objects.filter(pk=book_id).values_list("available_units", "withdrawn_at").first()
    if found is None:
        raise unknown_book(book_id)
    available, withdrawn_at = found
    if withdrawn_at is not None:
        raise BookWithdrawn()
    rules = reservable_plan_rules(customer=customer, days=days, at=at)
    quote = pricing.quote_for(customer_id=customer.pk, days=days, at=at)
    balance = (
        Wallet.objects.filter(customer_id=customer.pk).values_list("balance", flat=True).first()
        or 0
    )
    instant = available > 0
    position = estimated_at = None
    if not instant:
        position = (
            QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING)
            .annotate(**plan_annotations(at=at))
            .filter(queue_priority__lte=rules.queue_priority)
            .count()
            + 1
        )
        estimated_at = estimate_for_newcomer(
            book_id=book_id, available_units=available, ahead=position - 1, days=days, at=at
        )
    mine = {"customer_id": customer.pk, "book_id": book_id}
    refusal = start_refusal(
        Standing(
            plan=rules.plan,
            days=days,
            holds_book=Reservation.objects.filter(**mine, status=ReservationStatus.ACTIVE).exists(),
            waits_for_book=QueueEntry.objects.filter(**mine, status=QueueStatus.WAITING).exists(),
            # Joining a queue is not measured against the limit.
            active_count=(
                customer_active_reservation_count(customer_id=customer.pk, at=at)
                if instant
                else None
            ),
            balance=balance,
            price=quote.price,
        )
    )
    blocked_by = None if refusal is None else REFUSALS[refusal].error.code
    return ReservationQuote(
        book_id=book_id,
        days=days,
        plan=rules.plan,
        base_price=quote.base_price,
        discount_percent=quote.discount_percent,
        discount_reason=quote.discount_reason,
        price=quote.price,
        outcome="instant" if instant else "queued",
        position=position,
        estimated_available_at=estimated_at,
        balance=balance,
        blocked_by=blocked_by,
    )


def customer_active_reservations_count(at: datetime) -> Count:
    """On a customer queryset: the reservations counting toward the plan's limit at `at`."""
    return Count("reservations", filter=counting_toward_limit_q(at, prefix="reservations__"))


def customer_waiting_entries_count() -> Coalesce:
    """On a customer queryset: the customer's waiting queue entries."""
    waiting = QueueEntry.objects.filter(customer_id=OuterRef("pk"), status=QueueStatus.WAITING)
    return _row_count(waiting, per="customer_id")


def book_popularity_since(since: datetime) -> Coalesce:
    """On a book queryset: its reservations started since `since`, as a correlated subquery that
    the database computes only for the rows it returns unless the page is ordered by it."""
    started = Reservation.objects.filter(book=OuterRef("pk"), starts_at__gte=since)
    return _row_count(started, per="book")


def books_reserved_since(since: datetime) -> QuerySet:
    """The ids of the books with a reservation started since `since` (`book_id` values)."""
    return Reservation.objects.filter(starts_at__gte=since).values("book_id")


def book_page_sql(book: str) -> tuple[str, str]:
    """SQL on the book table `book` (quoted): its reservations started since a moment (one `%s`),
    and whether settlement has work on it at a moment (two `%s`): a due reservation, or a free unit
    and a waiting entry whose suspension is over."""
    reservation, entry = Reservation._meta.db_table, QueueEntry._meta.db_table
    placeholder = ("%s", [])
    due, _ = due_sql(alias="r", moment=placeholder)
    lapsed, _ = had_suspension_over_sql(alias="q", moment=placeholder)
    popularity = (
        f'SELECT COUNT(*) FROM {reservation} r WHERE r.book_id = {book}."id" AND r.starts_at >= %s'
    )
    settlement_due = (
        f'EXISTS(SELECT 1 FROM {reservation} r WHERE r.book_id = {book}."id" AND {due}) '
        f'OR ({book}."available_units" > 0 AND EXISTS(SELECT 1 FROM {entry} q '
        f'WHERE q.book_id = {book}."id" AND {lapsed}))'
    )
    return popularity, settlement_due
