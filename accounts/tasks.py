"""Celery tasks of the accounts app: take ids, call a service, own their retry policy; and the
hand-over of recorded notifications to them (`accounts.notifications` records, this delivers)."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.channels import EMAIL, SMS, channels_of
from accounts.models import Notification
from accounts.sms import send_sms

logger = logging.getLogger(__name__)

# A row younger than this is left to its own after-commit enqueue; older undelivered ones (the
# broker was down, or every retry failed) are enqueued again by `redeliver_undelivered`.
REDELIVERY_GRACE = timedelta(minutes=2)
REDELIVERY_WINDOW = timedelta(days=1)


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def deliver_notification(self, notification_id: int) -> None:
    """Send a notification by its kind's channels (SMS, email), outside any request transaction."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.delivered_at is not None:
        return
    user = notification.user
    channels = channels_of(notification.kind)
    try:
        if SMS in channels:
            send_sms(to=user.phone, body=notification.message)
        if EMAIL in channels:
            with translation.override(user.language):  # the message was written in it already
                subject = _("Library: %(kind)s") % {"kind": notification.get_kind_display()}
            send_mail(
                subject=subject,
                message=notification.message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
    except Exception as exc:  # a provider outage: retry later, never lose the message silently
        logger.warning("notification %s delivery failed: %s", notification_id, exc)
        raise self.retry(exc=exc) from exc
    Notification.objects.filter(pk=notification_id, delivered_at=None).update(
        delivered_at=timezone.now()
    )


@shared_task(acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> None:
    """Fan a batch recorded by `notify_many` out into one delivery task per notification, so a
    release that drops a thousand waiters enqueues one message, and each keeps its own retries."""
    for notification_id in notification_ids:
        deliver_notification.delay(notification_id)


def enqueue_delivery(notification_ids: list[int]) -> bool:
    """Hand notifications to the broker (one task, or one fan-out task for a batch). The use case
    has committed: a broker outage is logged and the rows stay undelivered for the sweep."""
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


@shared_task(acks_late=True)
def redeliver_undelivered_notifications() -> int:
    """Every 5 minutes: notifications whose enqueue or every delivery attempt failed, again."""
    return redeliver_undelivered()


@shared_task(acks_late=True)
def purge_expired_credentials() -> dict[str, int]:
    """Daily: delete expired activation/reset links, OTP challenges and JWT bookkeeping rows."""
    # Imported here: `accounts.services` imports `accounts.notifications`, which imports this module.
    from accounts.services.notifications import credentials_purge_expired

    deleted = credentials_purge_expired()
    logger.info("purged expired credentials: %s", deleted)
    return deleted
