"""The hold queue as of a moment, for reads: a book's waiting entries in the order they would be
served, and each entry's live position in that order."""

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from reservations import rules as reservation_rules
from reservations.models import QueueEntry, QueueStatus


def waiting_in_priority_order(*, book_id: int, at: datetime) -> QuerySet[QueueEntry]:
    """A book's waiting entries in the order they would be served at `at`."""
    return (
        QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING)
        .annotate(**reservation_rules.plan_annotations(at=at))
        .order_by(*reservation_rules.queue_order_by())
    )


def with_live_position(queryset: QuerySet[QueueEntry], *, at: datetime) -> QuerySet[QueueEntry]:
    """Annotate waiting entries with `position` (1 = served next) in their book's order at `at`."""
    ahead = (
        QueueEntry.objects.filter(book_id=OuterRef("book_id"), status=QueueStatus.WAITING)
        .annotate(**reservation_rules.plan_annotations(at=at))
        .filter(reservation_rules.ahead_of_outer_q())
        .order_by()
        .values("book_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(**reservation_rules.plan_annotations(at=at)).annotate(
        position=Coalesce(Subquery(ahead), Value(0), output_field=IntegerField()) + 1
    )
