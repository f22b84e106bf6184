"""In-app notifications, delivered also by SMS and email after the transaction commits."""

from django.db import transaction

from accounts.models import Notification


def notify(*, user_id: int, kind: str, message: str, event_key: str) -> Notification:
    """Record one notification per event (`event_key` is unique) and deliver it once, after commit.

    Call it inside the use case's transaction: if the transaction rolls back, nothing is recorded
    and nothing is sent. A retried task that notifies the same event again changes nothing.
    """
    notification, created = Notification.objects.get_or_create(
        event_key=event_key, defaults={"user_id": user_id, "kind": kind, "message": message}
    )
    if created:
        from accounts.tasks import deliver_notification

        transaction.on_commit(lambda: deliver_notification.delay(notification.pk))
    return notification
