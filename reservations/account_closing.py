"""The reservations' part of closing a member's account (`accounts.services.user_deactivate` asks
through `accounts.hooks`): no account closes while it holds a reservation, and a closed account
waits in no queue."""

import contextlib

from accounts.models import Customer
from purchasing.models import Wallet
from reservations import services
from reservations.errors import QueueEntryNotWaiting
from reservations.models import QueueEntry, QueueStatus
from reservations.selectors import customer_active_reservation_count


def active_reservations_locked(*, customer_id: int) -> int:
    """The customer's active reservations, counted with his wallet locked: reserving locks the
    wallet last, so while the caller's transaction holds it no reservation starts meanwhile."""
    list(Wallet.objects.select_for_update().filter(customer_id=customer_id))
    return customer_active_reservation_count(customer_id=customer_id)


def leave_every_queue(*, customer: Customer) -> None:
    """A closed account waits for nothing. Each queue is left in its own transaction, after the
    deactivation committed, because a queue change must lock its book first (book → wallet order);
    meanwhile the release walk drops inactive accounts it reaches."""
    waiting = QueueEntry.objects.filter(customer=customer, status=QueueStatus.WAITING)
    for entry_id in waiting.values_list("id", flat=True):
        # served or dropped by a release walk in the meantime: nothing left to leave
        with contextlib.suppress(QueueEntryNotWaiting):
            services.queue_leave(customer=customer, entry_id=entry_id)
