"""What accounts asks the apps above it (purchasing, reservations); each answer is registered in
that app's `AppConfig.ready()`. See `core.hooks`."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Expression

from accounts.models import Customer
from core.hooks import Hook


class CustomerHook(Protocol):
    def __call__(self, *, customer_id: int) -> Any: ...


class ClosedCustomerHook(Protocol):
    def __call__(self, *, customer: Customer) -> None: ...


# Sign-up gives the new customer an empty wallet, inside its transaction (purchasing).
open_wallet = Hook[CustomerHook]("accounts.open_wallet")

# Closing an account: the number of the customer's active reservations, read under a lock that
# keeps a new one from starting until the transaction ends; a count above 0 refuses (reservations).
active_reservations_locked = Hook[CustomerHook]("accounts.active_reservations_locked")

# After an account closed, the customer leaves every queue he waits in (reservations).
leave_every_queue = Hook[ClosedCustomerHook]("accounts.leave_every_queue")

# On a customer queryset: the number of reservations counting toward the plan's limit at the
# moment (the profile's and the admin's "holds"), and of waiting queue entries (reservations).
active_reservations_count = Hook[Callable[[datetime], Expression]](
    "accounts.active_reservations_count"
)
waiting_entries_count = Hook[Callable[[], Expression]]("accounts.waiting_entries_count")
