"""In-app notifications, delivered also by SMS and email after the transaction commits."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification

logger = logging.getLogger(__name__)

# A row younger than this is left to its own after-commit enqueue; older undelivered ones (the
# broker was down, or every retry failed) are enqueued again by `redeliver_undelivered`.
REDELIVERY_GRACE = timedelta(minutes=2)
REDELIVERY_WINDOW = timedelta(days=1)


def notify(*, user_id: int, kind: str, message: str, event_key: str) -> Notification:
    """Record one notification per event (`event_key` is unique) and deliver it once, after commit.

    Call it inside the use case's transaction: if the transaction rolls back, nothing is recorded
    and nothing is sent. A retried task that notifies the same event again changes nothing.
    """
    notification, created = Notification.objects.get_or_create(
        event_key=event_key, defaults={"user_id": user_id, "kind": kind, "message": message}
    )
    if created:
        transaction.on_commit(lambda: enqueue_delivery([notification.pk]))
    return notification


@dataclass(frozen=True)
class NotificationEvent:
    user_id: int
    kind: str
    message: str
    event_key: str


def notify_many(events: Iterable[NotificationEvent]) -> None:
    """`notify` for many events in a fixed number of queries (four, whatever their number).

    Events already recorded are left alone; the new ones are inserted in one statement (in a
    savepoint) that returns exactly the ids this call created, and one task hands them to
    `deliver_notification` after commit.
    Should a concurrent transaction record one of the same events in between (the insert then
    hits the unique `event_key`), the batch falls back to `notify` per event, which is exact.
    """
    pending = {event.event_key: event for event in events}
    if not pending:
        return
    recorded = Notification.objects.filter(event_key__in=list(pending)).values_list(
        "event_key", flat=True
    )
    for event_key in recorded:
        del pending[event_key]
    if not pending:
        return
    rows = [
        Notification(user_id=e.user_id, kind=e.kind, message=e.message, event_key=e.event_key)
        for e in pending.values()
    ]
    try:
        with transaction.atomic():
            ids = [row.pk for row in Notification.objects.bulk_create(rows)]
    except IntegrityError:
        for e in pending.values():
            notify(user_id=e.user_id, kind=e.kind, message=e.message, event_key=e.event_key)
        return
    transaction.on_commit(lambda: enqueue_delivery(ids))


def enqueue_delivery(notification_ids: list[int]) -> bool:
    """Hand notifications to the broker (one task, or one fan-out task for a batch). The use case
    has committed: a broker outage is logged and the rows stay undelivered for the sweep."""
    from accounts.tasks import deliver_notification, deliver_notifications

    try:
        if len(notification_ids) == 1:
            deliver_notification.delay(notification_ids[0])
        else:
            deliver_notifications.delay(notification_ids)
    except Exception as exc:  # broker unreachable: never a 500 after commit, never lost silently
        logger.warning(
            "notification.enqueue_failed",
            extra={"event": "notification.enqueue_failed", "notification_ids": notification_ids},
            exc_info=exc,
        )
        return False
    return True


def redeliver_undelivered(*, now: datetime | None = None) -> int:
    """Enqueue again each notification of the last day still undelivered; returns how many."""
    now = now or timezone.now()
    pending = Notification.objects.filter(
        delivered_at=None,
        created_at__lte=now - REDELIVERY_GRACE,
        created_at__gte=now - REDELIVERY_WINDOW,
    ).values_list("pk", flat=True)
    return sum(enqueue_delivery([pk]) for pk in pending.iterator())
