"""Reviews and their replies, written by members (and, for replies, by the book's authors).

A review's write locks its book's row first (it holds `review_count`), then the review; a reply's
write locks its review's row (it holds `reply_count`). Moderation and reactions take the same
locks in the same order, so every visible count stays equal to its visible rows.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import CustomerRequired
from accounts.models import NotificationKind, User
from accounts.notifications import notify
from catalog.models import Book
from catalog.services import catalog_changed, listed_book_for_update
from readers import hooks
from readers.errors import AlreadyReviewed, ReplyNotFound, ReviewNotFound
from readers.models import REPLY_BODY_MAX_LENGTH, REVIEW_BODY_MAX_LENGTH, Reply, Review
from readers.selectors.reviews import display_name

REPLIERS_ONLY = gettext_lazy("Only members and the book's own authors can reply to its reviews.")


def _move_review_count(book_id: int, delta: int) -> None:
    Book.objects.filter(pk=book_id).update(review_count=F("review_count") + delta)
    catalog_changed()


def _validated(item: Review | Reply) -> None:
    """The fields' own validators and the body's length (a text field's `max_length` binds only
    forms); the one-per-member rule is the caller's."""
    is_review = isinstance(item, Review)
    exclude = ["book", "customer"] if is_review else ["review", "user"]
    item.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    longest = REVIEW_BODY_MAX_LENGTH if is_review else REPLY_BODY_MAX_LENGTH
    if len(item.body) > longest:
        raise ValidationError({"body": [_("At most %(count)s characters.") % {"count": longest}]})


def review_create(*, customer_id: int, book_id: int, body: str, title: str = "") -> Review:
    """The member's one review of the book (409 `already_reviewed` for a second), marked
    `verified_reader` when he has borrowed it; the book's visible count follows. A withdrawn
    book takes no new review (410)."""
    review = Review(book_id=book_id, customer_id=customer_id, title=title, body=body)
    _validated(review)
    with transaction.atomic():
        listed_book_for_update(book_id)
        if Review.objects.filter(book_id=book_id, customer_id=customer_id).exists():
            raise AlreadyReviewed()
        review.verified_reader = hooks.has_borrowed(customer_id=customer_id, book_id=book_id)
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:
            # The one-review constraint, should a write outside this lock have raced us.
            raise AlreadyReviewed() from None
        _move_review_count(book_id, 1)
    return review


def _own_review_for_update(*, customer_id: int, review_id: int) -> Review:
    """The member's own review, locked after its book; another's is not found."""
    book_id = (
        Review.objects.filter(pk=review_id, customer_id=customer_id)
        .values_list("book_id", flat=True)
        .first()
    )
    if book_id is None:
        raise ReviewNotFound()
    Book.objects.select_for_update().filter(pk=book_id).values_list("pk").first()
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise ReviewNotFound()
    return review


def review_update(
    *, customer_id: int, review_id: int, title: str | None = None, body: str | None = None
) -> Review:
    """Edit the member's own review (404 for anyone else's); `verified_reader` is asked again."""
    with transaction.atomic():
        review = _own_review_for_update(customer_id=customer_id, review_id=review_id)
        if title is not None:
            review.title = title
        if body is not None:
            review.body = body
        _validated(review)
        review.verified_reader = hooks.has_borrowed(customer_id=customer_id, book_id=review.book_id)
        review.save(update_fields=["title", "body", "verified_reader", "updated_at"])
    return review


def review_delete(*, customer_id: int, review_id: int) -> None:
    """Delete the member's own review with its replies, reactions and reports (404 for anyone
    else's); a visible one leaves its book's count."""
    with transaction.atomic():
        review = _own_review_for_update(customer_id=customer_id, review_id=review_id)
        was_visible = not review.is_hidden
        review.delete()
        if was_visible:
            _move_review_count(review.book_id, -1)


def _may_reply(user: User, review: Review) -> bool:
    """Members reply to any review; the book's own authors reply too, marked as the author."""
    return hasattr(user, "customer") or _is_book_author(user, review)


def _is_book_author(user: User, review: Review) -> bool:
    return review.book.authors.filter(user_id=user.pk).exists()


def reply_create(*, user: User, review_id: int, body: str) -> Reply:
    """A reply to a visible review (one level); the review's writer is told, by email too, once
    the reply is committed (not of his own replies)."""
    reply = Reply(review_id=review_id, user=user, body=body)
    _validated(reply)
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("book", "customer")
            .filter(pk=review_id, hidden_at__isnull=True)
            .first()
        )
        if review is None:
            raise ReviewNotFound()
        if not _may_reply(user, review):
            raise CustomerRequired(REPLIERS_ONLY)
        reply.by_book_author = _is_book_author(user, review)
        reply.save()
        Review.objects.filter(pk=review_id).update(reply_count=F("reply_count") + 1)
        writer_id = review.customer.user_id
        if writer_id != user.pk:
            notify(
                user_id=writer_id,
                kind=NotificationKind.REVIEW_REPLY,
                message=lambda: (
                    _("%(name)s replied to your review of “%(title)s”: %(reply)s")
                    % {
                        "name": display_name(user),
                        "title": review.book.title,
                        "reply": reply.body[:200],
                    }
                ),
                event_key=f"review-reply:{reply.pk}",
            )
    return reply


def _own_reply_for_update(*, user_id: int, reply_id: int) -> Reply:
    """The user's own reply, locked after its review; another's is not found."""
    review_id = (
        Reply.objects.filter(pk=reply_id, user_id=user_id)
        .values_list("review_id", flat=True)
        .first()
    )
    if review_id is None:
        raise ReplyNotFound()
    Review.objects.select_for_update().filter(pk=review_id).values_list("pk").first()
    reply = Reply.objects.select_for_update().filter(pk=reply_id).first()
    if reply is None:
        raise ReplyNotFound()
    return reply


def reply_update(*, user_id: int, reply_id: int, body: str | None = None) -> Reply:
    """Edit the user's own reply (404 for anyone else's)."""
    with transaction.atomic():
        reply = _own_reply_for_update(user_id=user_id, reply_id=reply_id)
        if body is not None:
            reply.body = body
        _validated(reply)
        reply.save(update_fields=["body", "updated_at"])
    return reply


def reply_delete(*, user_id: int, reply_id: int) -> None:
    """Delete the user's own reply (404 for anyone else's); a visible one leaves the count."""
    with transaction.atomic():
        reply = _own_reply_for_update(user_id=user_id, reply_id=reply_id)
        was_visible = not reply.is_hidden
        reply.delete()
        if was_visible:
            Review.objects.filter(pk=reply.review_id).update(reply_count=F("reply_count") - 1)
