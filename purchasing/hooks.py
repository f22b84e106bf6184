"""What purchasing asks reservations, the app above it; the answers are registered in
`reservations.apps`. See `core.hooks`."""

from datetime import datetime
from typing import Protocol

from core.hooks import Hook


class Loans(Protocol):
    count: int
    longest_days: int


class ActiveLoans(Protocol):
    def __call__(self, *, customer_id: int, at: datetime) -> Loans: ...


class DiscountsRepay(Protocol):
    def __call__(
        self, *, customer_id: int, since: datetime, refunded: int, at: datetime
    ) -> int: ...


# Switching plans: the customer's active loans at the moment must fit the new plan's limits.
active_loans = Hook[ActiveLoans]("purchasing.active_loans")

# A refunded membership takes back the 100% discounts only its money had unlocked; returns the
# amount repaid.
discounts_repay = Hook[DiscountsRepay]("purchasing.discounts_repay")
