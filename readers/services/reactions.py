"""Likes and dislikes of books and reviews: one per member and item, set, switched or withdrawn.

Each write locks the item's row first, then reads the member's reaction: two writes by the same
member (two PUTs at once) are ordered by that lock, and the second sees the first's committed row,
so it switches or keeps it instead of inserting a second one. The item's `like_count` and
`dislike_count` move in the same transaction, by `F()`, so they always equal its reaction rows.
"""

from datetime import UTC, datetime

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import NotificationKind
from accounts.notifications import notify_batched
from catalog.errors import BookNotFound, BookWithdrawn
from catalog.models import Book
from catalog.services import catalog_changed
from core.l10n import local_number
from readers.errors import OwnReview, ReactionNotFound, ReviewNotFound
from readers.models import BookReaction, Reaction, Review, ReviewReaction
from readers.selectors.reactions import ReactionState


def _count_field(reaction: str) -> str:
    return "like_count" if reaction == Reaction.LIKE else "dislike_count"


def _move_counts(
    model: type[models.Model], pk: int, counts: dict, *, before: str | None, after: str | None
) -> dict:
    """Move the locked item's figures from reaction `before` to `after` (None: no reaction);
    returns the figures after the move."""
    deltas = {}
    if before is not None:
        deltas[_count_field(before)] = -1
    if after is not None:
        deltas[_count_field(after)] = deltas.get(_count_field(after), 0) + 1
    deltas = {field: delta for field, delta in deltas.items() if delta}
    if deltas:
        model.objects.filter(pk=pk).update(
            **{field: F(field) + delta for field, delta in deltas.items()}
        )
    return {field: counts[field] + deltas.get(field, 0) for field in counts}


def _record(reaction_model: type[models.Model], reaction: str, **keys) -> str | None:
    """Store the member's reaction (`keys`: the item and the member); returns the reaction it
    replaced, None when it is new. Called with the item locked."""
    previous = reaction_model.objects.filter(**keys).first()
    if previous is None:
        reaction_model.objects.create(reaction=reaction, **keys)
        return None
    before = previous.reaction
    if before != reaction:
        previous.reaction = reaction
        previous.save(update_fields=["reaction", "updated_at"])
    return before


def _withdraw(reaction_model: type[models.Model], **keys) -> str:
    """Delete the member's reaction; returns it (404 when there is none). Called with the item
    locked."""
    previous = reaction_model.objects.filter(**keys).first()
    if previous is None:
        raise ReactionNotFound()
    previous.delete()
    return previous.reaction


def _locked_book_counts(book_id: int, *, listed: bool = False) -> dict:
    """The book's like and dislike figures, its row locked (404 when there is no such book;
    `listed`: 410 when it is withdrawn)."""
    counts = (
        Book.objects.select_for_update()
        .filter(pk=book_id)
        .values("like_count", "dislike_count", "withdrawn_at")
        .first()
    )
    if counts is None:
        raise BookNotFound()
    if listed and counts["withdrawn_at"] is not None:
        raise BookWithdrawn()
    del counts["withdrawn_at"]
    return counts


def book_reaction_set(*, customer_id: int, book_id: int, reaction: str) -> ReactionState:
    """The member likes or dislikes the book (again: nothing changes); a withdrawn book takes no
    new reaction (410), though one given before may be withdrawn."""
    with transaction.atomic():
        counts = _locked_book_counts(book_id, listed=True)
        before = _record(BookReaction, reaction, book_id=book_id, customer_id=customer_id)
        if before != reaction:
            counts = _move_counts(Book, book_id, counts, before=before, after=reaction)
            catalog_changed()
    return ReactionState(reaction=reaction, **counts)


def book_reaction_remove(*, customer_id: int, book_id: int) -> None:
    """Withdraw the member's like or dislike of the book (404 when there is none)."""
    with transaction.atomic():
        counts = _locked_book_counts(book_id)
        before = _withdraw(BookReaction, book_id=book_id, customer_id=customer_id)
        _move_counts(Book, book_id, counts, before=before, after=None)
        catalog_changed()


def _locked_visible_review(review_id: int) -> dict:
    """The visible review's figures, writer and book title, its row locked (404 when there is no
    such review or it is hidden)."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .filter(pk=review_id, hidden_at__isnull=True)
        .values(
            "like_count",
            "dislike_count",
            "customer_id",
            writer_id=F("customer__user_id"),
            book_title=F("book__title"),
        )
        .first()
    )
    if review is None:
        raise ReviewNotFound()
    return review


def likes_window_start(at: datetime) -> datetime:
    """The start of the UTC clock hour holding `at`: a review's likes are told once per hour."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _likes_message(count: int, title: str) -> str:
    return ngettext(
        "%(count)s member liked your review of “%(title)s”.",
        "%(count)s members liked your review of “%(title)s”.",
        count,
    ) % {"count": local_number(count), "title": title}


def _tell_writer_of_likes(*, review_id: int, writer_id: int, book_title: str) -> None:
    """The writer's notice of this hour's likes of the review: recorded at the hour's first like,
    rewritten (and unread again) with the hour's count at each later one. Called with the review
    locked, so the count and the rewrite follow the likes in order."""
    start = likes_window_start(timezone.now())
    count = ReviewReaction.objects.filter(
        review_id=review_id, reaction=Reaction.LIKE, updated_at__gte=start
    ).count()
    notify_batched(
        user_id=writer_id,
        kind=NotificationKind.REVIEW_LIKES,
        message=lambda: _likes_message(count, book_title),
        event_key=f"review-likes:{review_id}:{start:%Y-%m-%dT%H}",
    )


def _review_counts(review: dict) -> dict:
    return {"like_count": review["like_count"], "dislike_count": review["dislike_count"]}


def review_reaction_set(*, customer_id: int, review_id: int, reaction: str) -> ReactionState:
    """The member likes or dislikes a visible review of someone else (409 `own_review` for his
    own). A like newly recorded (new, or switched from a dislike) is told to the writer."""
    with transaction.atomic():
        review = _locked_visible_review(review_id)
        if review["customer_id"] == customer_id:
            raise OwnReview()
        counts = _review_counts(review)
        before = _record(ReviewReaction, reaction, review_id=review_id, customer_id=customer_id)
        if before != reaction:
            counts = _move_counts(Review, review_id, counts, before=before, after=reaction)
            if reaction == Reaction.LIKE:
                _tell_writer_of_likes(
                    review_id=review_id,
                    writer_id=review["writer_id"],
                    book_title=review["book_title"],
                )
    return ReactionState(reaction=reaction, **counts)


def review_reaction_remove(*, customer_id: int, review_id: int) -> None:
    """Withdraw the member's like or dislike of a visible review (404 when there is none)."""
    with transaction.atomic():
        review = _locked_visible_review(review_id)
        before = _withdraw(ReviewReaction, review_id=review_id, customer_id=customer_id)
        _move_counts(Review, review_id, _review_counts(review), before=before, after=None)
