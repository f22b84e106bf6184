"""What the readers app asks reservations, the app above it: whether a member has borrowed a
book (a review by a borrower is marked `verified_reader`). Registered in `reservations.apps`.
See `core.hooks`."""

from typing import Protocol

from core.hooks import Hook


class HasBorrowed(Protocol):
    def __call__(self, *, customer_id: int, book_id: int) -> bool: ...


# Has the member ever held a copy of the book (any reservation that started)?
has_borrowed = Hook[HasBorrowed]("readers.has_borrowed")
