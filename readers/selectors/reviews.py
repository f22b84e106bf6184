"""Reads of reviews and replies: what each reader may see, in a fixed number of queries a page.

Everyone sees visible items; a writer also sees his own hidden ones, marked hidden. A book's
visible reviews are read through the partial indexes on (book, newest) and (book, most liked), so
a book with ten thousand reviews pages as fast as one with ten.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from catalog.errors import BookNotFound
from catalog.models import Book
from readers.errors import ReplyNotFound, ReviewNotFound
from readers.models import Reply, Review

REVIEW_ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "most_liked": ("-like_count", "-id"),
}
DEFAULT_REVIEW_ORDERING = "newest"
# What a page of each kind of item is read with: its writer, for the display name.
SELECTED = {Review: ("customer__user",), Reply: ("user",)}


class PagedByIds:
    """An ordered queryset a paginator slices in two steps: the page's ids first, which the
    order's index answers alone however deep the page, then those rows, joined to their writers,
    in the same statement (`WHERE id IN (… LIMIT … OFFSET …)`). A deep page of a book's ten
    thousand reviews then reads twenty rows, not every row before it."""

    ordered = True

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list:
        ids = self.queryset.values("pk")[key]
        order = self.queryset.query.order_by
        return list(
            self.queryset.model.objects.filter(pk__in=ids)
            .select_related(*SELECTED[self.queryset.model])
            .order_by(*order)
        )


def book_reviews(*, book_id: int, ordering: str, viewer_customer_id: int | None) -> PagedByIds:
    """The book's visible reviews (and the viewer's own, hidden, one) in `ordering`, for a
    paginator; 404 when there is no such book."""
    if not Book.objects.filter(pk=book_id).exists():
        raise BookNotFound()
    shown = Q(hidden_at__isnull=True)
    if viewer_customer_id is not None:
        own_hidden = Review.objects.filter(
            book_id=book_id, customer_id=viewer_customer_id, hidden_at__isnull=False
        ).values_list("pk", flat=True)
        own_hidden_id = own_hidden.first()
        if own_hidden_id is not None:
            shown |= Q(pk=own_hidden_id)
    return PagedByIds(
        Review.objects.filter(shown, book_id=book_id).order_by(*REVIEW_ORDERINGS[ordering])
    )


def review_shown(*, review_id: int, viewer_user_id: int | None) -> Review:
    """A visible review, or the viewer's own hidden one; else 404."""
    shown = Q(hidden_at__isnull=True)
    if viewer_user_id is not None:
        shown |= Q(customer__user_id=viewer_user_id)
    review = Review.objects.filter(shown, pk=review_id).select_related("customer__user").first()
    if review is None:
        raise ReviewNotFound()
    return review


def review_replies(*, review_id: int, viewer_user_id: int | None) -> QuerySet:
    """The replies of a review the viewer may see, oldest first: the visible ones and his own."""
    review_shown(review_id=review_id, viewer_user_id=viewer_user_id)
    shown = Q(hidden_at__isnull=True)
    if viewer_user_id is not None:
        shown |= Q(user_id=viewer_user_id)
    return (
        Reply.objects.filter(shown, review_id=review_id)
        .select_related("user")
        .order_by("created_at", "id")
    )


def reply_shown(*, reply_id: int, viewer_user_id: int | None) -> Reply:
    """A visible reply of a visible review, or the viewer's own reply; else 404."""
    shown = Q(hidden_at__isnull=True, review__hidden_at__isnull=True)
    if viewer_user_id is not None:
        shown |= Q(user_id=viewer_user_id)
    reply = Reply.objects.filter(shown, pk=reply_id).select_related("user").first()
    if reply is None:
        raise ReplyNotFound()
    return reply


def display_name(user: User) -> str:
    """How a writer is shown to other readers: first name and last initial, never a contact."""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if not first and not last:
        return "A reader"
    return f"{first} {last[:1]}.".strip() if last else first
