"""The release walk: freed units of a book go to its queue in order, each candidate served by an
instant reserve or dropped with the reason the reservation rule gives.

Every function here runs inside the caller's transaction with the book row already locked
(`services.book_for_update`): the book lock is what serialises everything that touches its queue,
its units and its reservations, across any number of processes.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import NotificationKind, User
from accounts.notifications import NotificationEvent, notify, notify_many
from catalog.models import Book
from catalog.services import catalog_changed
from core.l10n import local_datetime, local_number
from purchasing.models import TransactionKind, Wallet
from purchasing.services import wallet_debit, wallet_for_update
from reservations import pricing
from reservations import rules as reservation_rules
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.queue import waiting_in_priority_order
from reservations.rules import REFUSALS, Refusal, RefusalAnswer, Standing, start_refusal
from reservations.selectors import active_reservation_count
from reservations.sql import reserve_figures, save_book_units

# The walk reads candidates in batches that double (200, 400, 800, ...): one sort of the queue per
# batch, so a long run of drops costs a few queries, and a release served at once reads few rows.
WALK_BATCH_SIZE = 200
WALK_BATCH_MAX = 3_200


def start_reservation(
    *, wallet: Wallet, book: Book, days: int, quote: pricing.Quote, at: datetime
) -> Reservation:
    """Create an active reservation from `at` and take its price (nothing when it is free) from
    the customer's `wallet`, which the caller has locked.

    The caller has checked plan, limit and balance under the wallet lock. The book's popularity
    (and, for an instant reserve, its units) change: cached catalog pages go stale on commit.
    """
    catalog_changed()
    reservation = Reservation.objects.create(
        customer_id=wallet.customer_id,
        book=book,
        days=days,
        starts_at=at,
        ends_at=at + timedelta(days=days),
        price=quote.price,
        discount_percent=quote.discount_percent,
        discount_reason=quote.discount_reason,
    )
    charge_reservation_fee(wallet=wallet, reservation=reservation, price=quote.price)
    return reservation


def charge_reservation_fee(*, wallet: Wallet, reservation: Reservation, price: int) -> None:
    """Take `price` (nothing when it is free) for `reservation` from its customer's `wallet`,
    which the caller has locked: a `reservation_fee` ledger row naming the reservation."""
    if price:
        wallet_debit(
            customer_id=wallet.customer_id,
            amount=price,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{reservation.pk}",
            locked_wallet=wallet,
        )


def walk_candidates(*, book_id: int, at: datetime) -> QuerySet[QueueEntry]:
    """The next candidates with everything the checks need, computed in the same query.

    Entries suspended at `at` are left out (skipped, not dropped: they stay `waiting` with their
    `queued_at`). It reads the index range `queue_waiting_book_order`; the suspension test
    filters the rows of that range.
    """
    balance = Wallet.objects.filter(customer_id=OuterRef("customer_id")).values("balance")
    return (
        waiting_in_priority_order(book_id=book_id, at=at)
        .filter(reservation_rules.servable_q(at))
        .annotate(
            user_id=F("customer__user_id"),
            user_is_active=F("customer__user__is_active"),
            active_count=active_reservation_count(at=at),
            balance=Coalesce(Subquery(balance), Value(0), output_field=IntegerField()),
            **pricing.pricing_annotations(at=at),
        )
    )


def candidate_standing(entry: QueueEntry) -> Standing:
    """What the rule asks of a walk candidate, from the figures read with it (`walk_candidates`)."""
    return Standing(
        plan=entry.queue_plan,
        days=entry.days,
        account_open=entry.user_is_active,
        active_count=entry.active_count,
        balance=entry.balance,
        price=pricing.quote_from_annotations(entry, days=entry.days).price,
    )


def locked_standing(*, wallet: Wallet, days: int, at: datetime) -> tuple[Standing, pricing.Quote]:
    """What the rule asks of the owner of a locked `wallet` about to be granted `days`, read
    under that lock, with the price they would pay."""
    # Closing an account takes this wallet lock too: read it now that no closing can be midway.
    account_open = User.objects.filter(customer__pk=wallet.customer_id, is_active=True).exists()
    figures = reserve_figures(customer_id=wallet.customer_id, at=at)
    quote = pricing.quote_from_annotations(figures, days=days)
    standing = Standing(
        plan=figures.plan,
        days=days,
        account_open=account_open,
        active_count=figures.active_count,
        balance=wallet.balance,
        price=quote.price,
    )
    return standing, quote


def _grant(*, entry: QueueEntry, book: Book, at: datetime) -> Refusal | None:
    """Serve one candidate: ask the rule again under the wallet lock, then reserve.

    Returns the refusal when the rule refuses (nothing has been written then).
    """
    wallet = wallet_for_update(customer_id=entry.customer_id)
    standing, quote = locked_standing(wallet=wallet, days=entry.days, at=at)
    refusal = start_refusal(standing)
    if refusal is not None:
        return refusal
    reservation = start_reservation(wallet=wallet, book=book, days=entry.days, quote=quote, at=at)
    entry.resolve(status=QueueStatus.FULFILLED, at=at, reservation=reservation)
    notify(
        user_id=entry.user_id,
        kind=NotificationKind.QUEUE_GRANTED,
        message=lambda: (
            ngettext(
                "Good news: a copy of “%(title)s” is yours for %(days)s day, until %(ends_at)s.",
                "Good news: a copy of “%(title)s” is yours for %(days)s days, until %(ends_at)s.",
                entry.days,
            )
            % {
                "title": book.title,
                "days": local_number(entry.days),
                "ends_at": local_datetime(reservation.ends_at),
            }
        ),
        event_key=f"queue_granted:{entry.pk}",
    )
    return None


def _record_drops(*, drops: dict[Refusal, list[QueueEntry]], book: Book, at: datetime) -> None:
    """One UPDATE per reason and one bulk notification for the whole batch of dropped entries."""
    events = []
    for reason, entries in drops.items():
        answer = REFUSALS[reason]
        QueueEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            status=QueueStatus.DROPPED, drop_reason=answer.drop_code, resolved_at=at
        )

        def message(answer: RefusalAnswer = answer) -> str:
            return _(
                "A copy of “%(title)s” came free but you were taken off its queue: %(reason)s."
            ) % {
                "title": book.title,
                "reason": answer.drop_message,
            }

        events += [
            NotificationEvent(
                user_id=entry.user_id,
                kind=NotificationKind.QUEUE_DROPPED,
                message=message,
                event_key=f"queue_dropped:{entry.pk}",
            )
            for entry in entries
        ]
    notify_many(events)


def release_units(*, book: Book, units: int, at: datetime, queue_empty: bool = False) -> int:
    """The release walk: give `units` freed units of a locked book to its queue, in order as of `at`.

    Each candidate gets an instant reserve with every check re-run as of `at`; one who fails is
    dropped with the reason and notified, and the next is tried. Entries suspended at `at` are
    skipped and keep their place. Units nobody qualifies for go back to `available_units` (where
    `serve_shelf_units` hands them to a suspended entry once its suspension is over). Returns how
    many units went to the queue. `queue_empty`: the caller read under the lock that nobody
    waits, so the walk reads nothing. A withdrawn book serves no queue (its waiters were dropped
    and nobody can join): its returned units wait on the shelf for a reinstatement.
    """
    catalog_changed()
    queue_empty = queue_empty or book.is_withdrawn
    remaining = units
    batch_size = WALK_BATCH_SIZE
    while remaining and not queue_empty:
        batch = list(walk_candidates(book_id=book.pk, at=at)[:batch_size])
        if not batch:
            break
        batch_size = min(2 * batch_size, WALK_BATCH_MAX)
        drops: dict[Refusal, list[QueueEntry]] = defaultdict(list)
        for entry in batch:
            reason = start_refusal(candidate_standing(entry)) or _grant(
                entry=entry, book=book, at=at
            )
            if reason:
                drops[reason].append(entry)
            else:
                remaining -= 1
                if not remaining:
                    break
        _record_drops(drops=drops, book=book, at=at)
    if remaining:
        book.available_units += remaining
        save_book_units(book)
    return units - remaining


def _take_shelf_units(book: Book) -> int:
    """Take the shelf units of a locked book off the shelf, for a walk to hand out again."""
    units = book.available_units
    if units:
        book.available_units = 0
        save_book_units(book)
    return units


def serve_shelf_units(*, book: Book, at: datetime) -> int:
    """Walk the queue with the units on the shelf of a locked book; returns how many were given.

    Units stay on the shelf while people wait only when every waiting entry was suspended at the
    last release; once a suspension is over (or ended by `resume`) those units belong to the queue,
    in order, before any newcomer. Costs no query with an empty shelf, one when nobody can take a
    unit.
    """
    if not book.available_units:
        return 0
    servable = QueueEntry.objects.filter(reservation_rules.servable_q(at), book_id=book.pk)
    if not servable.exists():
        return 0
    return release_units(book=book, units=_take_shelf_units(book), at=at)


def expire_due_on_locked_book(*, book: Book, at: datetime) -> int:
    """Settle a locked book as of `at`: end (as `expired`) its reservations whose time has passed
    and walk the queue with their units and any shelf units a lapsed suspension now claims.
    Returns how many reservations expired."""
    due = list(
        Reservation.objects.filter(reservation_rules.due_q(at), book_id=book.pk).select_related(
            "customer"
        )
    )
    if not due:
        serve_shelf_units(book=book, at=at)
        return 0
    for reservation in due:
        reservation.end(status=ReservationStatus.EXPIRED, at=reservation.ends_at)
    notify_many(
        NotificationEvent(
            user_id=reservation.customer.user_id,
            kind=NotificationKind.RESERVATION_EXPIRED,
            message=lambda: (
                _("Your reservation of “%(title)s” has expired.") % {"title": book.title}
            ),
            event_key=f"reservation_expired:{reservation.pk}",
        )
        for reservation in due
    )
    release_units(book=book, units=len(due) + _take_shelf_units(book), at=at)
    return len(due)
