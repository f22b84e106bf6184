"""Reads of reviews and replies: what each reader may see, in a fixed number of queries a page.

Everyone sees visible items; a writer also sees his own hidden ones, marked hidden. A book's
visible reviews are read through the partial indexes on (book, newest) and (book, most liked), so
a book with ten thousand reviews pages as fast as one with ten.
"""

from collections.abc import Callable
from functools import partial

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

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


class PagedByIds:
    """An ordered queryset a paginator slices in two steps: the page's ids first, which the
    order's index answers alone however deep the page, then those rows (`rows`, given the ids'
    subquery) in the same statement (`WHERE id IN (… LIMIT … OFFSET …)`). A deep page of a
    book's ten thousand reviews then reads twenty rows, not every row before it. The count is
    known already (a figure kept on a row)."""

    ordered = True

    def __init__(self, queryset: QuerySet, *, count: int, rows: Callable[[QuerySet], list]):
        self.queryset = queryset
        self._count = count
        self._rows = rows

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: slice) -> list:
        return self._rows(self.queryset.values("pk")[key])


REVIEW_ROW_FIELDS = (
    "id",
    "title",
    "body",
    "verified_reader",
    "like_count",
    "dislike_count",
    "reply_count",
    "created_at",
    "updated_at",
)


def review_rows(ids: QuerySet, *, ordering: str) -> list[dict]:
    """The reviews of `ids` as the API shows them (`ReviewSerializer`'s fields), in one query,
    without building model instances."""
    rows = (
        Review.objects.filter(pk__in=ids)
        .order_by(*REVIEW_ORDERINGS[ordering])
        .values(
            *REVIEW_ROW_FIELDS,
            "book_id",
            "hidden_at",
            "hidden_reason",
            "customer__user__first_name",
            "customer__user__last_name",
        )
    )
    return [
        {
            "id": row["id"],
            "book": row["book_id"],
            "writer": name_shown(
                row["customer__user__first_name"], row["customer__user__last_name"]
            ),
            **{field: row[field] for field in REVIEW_ROW_FIELDS[1:]},
            "hidden": row["hidden_at"] is not None,
            "hidden_reason": row["hidden_reason"],
        }
        for row in rows
    ]


def book_reviews(*, book_id: int, ordering: str, viewer_customer_id: int | None) -> PagedByIds:
    """The book's visible reviews (and the viewer's own, hidden, one) in `ordering`, for a
    paginator, counted by the book's `review_count`; 404 when there is no such book."""
    count = Book.objects.filter(pk=book_id).values_list("review_count", flat=True).first()
    if count is None:
        raise BookNotFound()
    shown = Q(hidden_at__isnull=True)
    if viewer_customer_id is not None:
        own_hidden = Review.objects.filter(
            book_id=book_id, customer_id=viewer_customer_id, hidden_at__isnull=False
        ).values_list("pk", flat=True)
        own_hidden_id = own_hidden.first()
        if own_hidden_id is not None:
            shown |= Q(pk=own_hidden_id)
            count += 1
    return PagedByIds(
        Review.objects.filter(shown, book_id=book_id).order_by(*REVIEW_ORDERINGS[ordering]),
        count=count,
        rows=partial(review_rows, ordering=ordering),
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
    return name_shown(user.first_name, user.last_name)


def name_shown(first_name: str, last_name: str) -> str:
    first = (first_name or "").strip()
    last = (last_name or "").strip()
    if not first and not last:
        return _("A reader")
    return f"{first} {last[:1]}.".strip() if last else first
