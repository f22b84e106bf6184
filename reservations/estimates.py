"""Wait-time estimates: the moment a unit of a book would reach a waiting entry.

The book's units are simulated forward from now. A unit on the shelf is free now; a unit on loan
frees at its holder's `ends_at`. At each moment a unit frees, the release walk's rule picks who
gets it: the first entry in today's priority order (premium first, then `queued_at`, then id) that
is not suspended at that moment. That entry keeps the unit for its requested days, so the unit
frees again at start + days. A unit that frees while everyone still waiting is suspended stays on
the shelf until the first of those suspensions ends, and goes to the first entry (in order) free to
take it then. The estimate of an entry is the moment a unit reaches it.

Assumptions, stated in the API docs: nobody returns early, no renewals (a renewal is refused while
anyone waits), no new member joins ahead (a premium newcomer would), plans keep today's order, every
entry ahead is served (nobody ahead is dropped, leaves or is removed), and no suspension changes.
Under these assumptions the figure is exact; each one broken can only move it (early returns and
entries ahead leaving make it earlier, newcomers ahead and new suspensions later).
"""

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.rules import is_suspended, plan_annotations, queue_order_by


@dataclass(frozen=True)
class Waiter:
    """What the simulation needs of a waiting entry: how long it keeps a unit, when it may take
    one (`suspended_until`, None when it is not suspended)."""

    keeps_for: timedelta
    suspended_until: datetime | None = None

    def suspended_at(self, moment: datetime) -> bool:
        return is_suspended(self, moment)


def simulate_starts(
    *,
    now: datetime,
    unit_free_at: Iterable[datetime],
    waiters: Sequence[Waiter],
    stop_after: int | None = None,
) -> list[datetime | None]:
    """The moment each waiter (given in priority order) would be given a unit.

    `unit_free_at` holds one moment per unit of the book (moments before `now` count as `now`).
    The simulation stops once the waiter at index `stop_after` is served (the others after it stay
    None), so an entry that is not suspended costs O(k log k) for the k entries ahead of it.
    """
    free = [max(moment, now) for moment in unit_free_at]
    heapq.heapify(free)
    starts: list[datetime | None] = [None] * len(waiters)
    next_index = 0  # the first waiter not looked at yet; every index below it is served or parked
    parked: list[tuple[datetime, int]] = []  # (suspended_until, index) of waiters skipped so far
    ready: list[int] = []  # parked waiters whose suspension is over, by index
    while free:
        moment = heapq.heappop(free)
        while parked and parked[0][0] <= moment:
            heapq.heappush(ready, heapq.heappop(parked)[1])
        if ready:  # every parked waiter comes before `next_index` in the order
            index = heapq.heappop(ready)
        else:
            while next_index < len(waiters) and waiters[next_index].suspended_at(moment):
                waiter = waiters[next_index]
                heapq.heappush(parked, (waiter.suspended_until, next_index))
                next_index += 1
            if next_index < len(waiters):
                index = next_index
                next_index += 1
            elif parked:  # everyone left is suspended: the unit waits on the shelf
                heapq.heappush(free, parked[0][0])
                continue
            else:
                break
        starts[index] = moment
        if index == stop_after:
            break
        heapq.heappush(free, moment + waiters[index].keeps_for)
    return starts


def waiter_of(entry: QueueEntry) -> Waiter:
    return Waiter(keeps_for=timedelta(days=entry.days), suspended_until=entry.suspended_until)


def unit_free_times(
    *, available_units: int, holder_ends: Iterable[datetime], now: datetime
) -> list[datetime]:
    return [now] * available_units + list(holder_ends)


def _holder_ends(*, book_ids: Iterable[int]) -> dict[int, list[datetime]]:
    """One query: the `ends_at` of every active reservation of the books."""
    ends: dict[int, list[datetime]] = defaultdict(list)
    rows = Reservation.objects.filter(
        book_id__in=list(book_ids), status=ReservationStatus.ACTIVE
    ).values_list("book_id", "ends_at")
    for book_id, ends_at in rows:
        ends[book_id].append(ends_at)
    return ends


def _queue_heads(*, limits: dict[int, int | None], at: datetime) -> dict[int, list[QueueEntry]]:
    """One query: for each book, its first `limit` waiting entries in priority order at `at`
    (the whole queue for a limit of None)."""
    if not limits:
        return {}
    wanted = Q()
    for book_id, limit in limits.items():
        wanted |= Q(book_id=book_id) if limit is None else Q(book_id=book_id, place__lte=limit)
    rows = (
        QueueEntry.objects.filter(book_id__in=list(limits), status=QueueStatus.WAITING)
        .annotate(**plan_annotations(at=at))
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("book_id")],
                order_by=queue_order_by(),
            )
        )
        .filter(wanted)
        .only("id", "book_id", "days", "suspended_until", "queued_at")
        .order_by("book_id", "place")
    )
    heads: dict[int, list[QueueEntry]] = defaultdict(list)
    for entry in rows:
        heads[entry.book_id].append(entry)
    return heads


def _read_limits(waiting: Sequence[QueueEntry], *, at: datetime) -> dict[int, int | None]:
    """Per book, how far down its queue the estimates of `waiting` must read (None: all of it,
    behind a suspended entry)."""
    limits: dict[int, int | None] = {}
    for entry in waiting:
        limit = None if is_suspended(entry, at) else entry.position
        current = limits.get(entry.book_id, 0)
        limits[entry.book_id] = None if limit is None or current is None else max(current, limit)
    return limits


def attach_estimates(entries: Sequence[QueueEntry], *, at: datetime) -> None:
    """Set `estimated_available_at` on waiting entries that carry `position` and their `book`.

    Two queries whatever the number of entries and books: holders' `ends_at`, and the entries
    up to each one in its book's order (the whole queue behind a suspended entry, since units may
    pass to those behind it while it is suspended).
    """
    waiting = [entry for entry in entries if entry.is_waiting]
    for entry in entries:
        entry.estimated_available_at = None
    if not waiting:
        return
    limits = _read_limits(waiting, at=at)
    holder_ends = _holder_ends(book_ids=limits)
    heads = _queue_heads(limits=limits, at=at)
    for entry in waiting:
        queue = heads[entry.book_id]
        index = next(i for i, other in enumerate(queue) if other.pk == entry.pk)
        starts = simulate_starts(
            now=at,
            unit_free_at=unit_free_times(
                available_units=entry.book.available_units,
                holder_ends=holder_ends[entry.book_id],
                now=at,
            ),
            waiters=[waiter_of(other) for other in queue],
            stop_after=index,
        )
        entry.estimated_available_at = starts[index]


def estimate_queue(
    *,
    queue: Sequence[QueueEntry],
    holders: Iterable[Reservation],
    available_units: int,
    at: datetime,
) -> None:
    """Set `estimated_available_at` on a book's whole queue (given in priority order), no query."""
    starts = simulate_starts(
        now=at,
        unit_free_at=unit_free_times(
            available_units=available_units,
            holder_ends=[holder.ends_at for holder in holders],
            now=at,
        ),
        waiters=[waiter_of(entry) for entry in queue],
    )
    for entry, start in zip(queue, starts, strict=True):
        entry.estimated_available_at = start


def estimate_for_newcomer(
    *, book_id: int, available_units: int, ahead: int, days: int, at: datetime
) -> datetime | None:
    """When a unit would reach someone joining the queue now behind the first `ahead` entries,
    for `days` days (the quote). Two queries."""
    queue = _queue_heads(limits={book_id: ahead}, at=at)[book_id] if ahead else []
    waiters = [waiter_of(entry) for entry in queue] + [Waiter(keeps_for=timedelta(days=days))]
    return simulate_starts(
        now=at,
        unit_free_at=unit_free_times(
            available_units=available_units,
            holder_ends=_holder_ends(book_ids=[book_id])[book_id],
            now=at,
        ),
        waiters=waiters,
        stop_after=len(waiters) - 1,
    )[-1]
