"""Reads of a member's likes and dislikes: the reaction with its item's figures, one query."""

from dataclasses import dataclass

from django.db.models import F

from readers.errors import ReactionNotFound
from readers.models import BookReaction, ReviewReaction


@dataclass(frozen=True)
class ReactionState:
    """A member's reaction and the figures of the item it is on."""

    reaction: str
    like_count: int
    dislike_count: int


def _state(rows, item: str) -> ReactionState:
    row = rows.values(
        "reaction",
        like_count=F(f"{item}__like_count"),
        dislike_count=F(f"{item}__dislike_count"),
    ).first()
    if row is None:
        raise ReactionNotFound()
    return ReactionState(**row)


def book_reaction_of(*, customer_id: int, book_id: int) -> ReactionState:
    """The member's reaction to the book (404 when none, or no such book)."""
    return _state(BookReaction.objects.filter(book_id=book_id, customer_id=customer_id), "book")


def review_reaction_of(*, customer_id: int, review_id: int) -> ReactionState:
    """The member's reaction to a visible review (404 when none, or the review is hidden)."""
    rows = ReviewReaction.objects.filter(
        review_id=review_id, customer_id=customer_id, review__hidden_at__isnull=True
    )
    return _state(rows, "review")
