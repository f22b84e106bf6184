"""Reads about reservations and queues that views and other apps use.

Reads of a book's reservations or queue settle that book's due reservations first, so nobody ever
sees (or is blocked by) a reservation whose time has passed, even without a running worker.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Customer
from accounts.plans import PlanRules
from accounts.selectors import current_plan
from catalog.models import Book
from reservations.estimates import attach_estimates, estimate_for_newcomer, estimate_queue
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.rules import (
    ARRIVAL_ORDER,
    REFUSALS,
    Standing,
    counting_toward_limit_q,
    ensure_may_start,
    plan_annotations,
    start_refusal,
)

# The largest primary key: a bigger id names no row (and is refused by SQLite's driver).
MAX_ID = 2**63 - 1


def unknown_book(book_id: int) -> ValidationError:
    """The 400 naming `book` for a book id that names no book (the one DRF's related field gives)."""
    return ValidationError(
        {"book": f'Invalid pk "{book_id}" - object does not exist.'}, code="does_not_exist"
    )


def active_reservation_count(*, at: datetime, customer_ref: str = "customer_id") -> Coalesce:
    """`customer_active_reservation_count` as a correlated subquery, to read it with other figures."""
    active = (
        Reservation.objects.filter(counting_toward_limit_q(at), customer_id=OuterRef(customer_ref))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(active), Value(0), output_field=IntegerField())


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


def _settle_books_of_customer(*, customer_id: int) -> None:
    from reservations.services import settle_due_reservations

    settle_due_reservations(customer_id=customer_id)


def customer_reservations(*, customer_id: int, status: str | None = None) -> QuerySet[Reservation]:
    """A member's reservations, newest first, after settling the ones whose time has passed."""
    _settle_books_of_customer(customer_id=customer_id)
    queryset = Reservation.objects.filter(customer_id=customer_id).select_related("book")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def customer_reservation(*, customer_id: int, reservation_id: int) -> Reservation | None:
    """One of the member's reservations (None when it is not theirs), its book settled first."""
    from reservations.services import settle_due_reservations

    book_id = (
        Reservation.objects.filter(pk=reservation_id, customer_id=customer_id)
        .values_list("book_id", flat=True)
        .first()
    )
    if book_id is None:
        return None
    settle_due_reservations(book_ids=[book_id])
    return Reservation.objects.select_related("book").get(pk=reservation_id)


def customer_queue_with_positions(
    *, customer_id: int, at: datetime | None = None
) -> QuerySet[QueueEntry]:
    """The member's waiting entries with their live position, oldest first."""
    from reservations.queue import with_live_position

    _settle_books_of_customer(customer_id=customer_id)
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
    from reservations.queue import with_live_position

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
    from reservations.queue import with_live_position

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
    """Who holds a book and who waits for it, in the order the queue would be served now."""
    from reservations.queue import waiting_in_priority_order
    from reservations.services import settle_due_reservations

    at = at or timezone.now()
    settle_due_reservations(book_ids=[book_id], now=at)
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
    from purchasing.models import Wallet
    from reservations import pricing
    from reservations.services import settle_due_reservations

    at = at or timezone.now()
    if not 0 < book_id <= MAX_ID:
        raise unknown_book(book_id)
    settle_due_reservations(book_ids=[book_id], now=at)
    available = Book.objects.filter(pk=book_id).values_list("available_units", flat=True).first()
    if available is None:
        raise unknown_book(book_id)
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
