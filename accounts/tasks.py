"""Celery tasks of the accounts app: take ids, call a service, own their retry policy."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.models import Notification
from accounts.sms import send_sms

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def deliver_notification(self, notification_id: int) -> None:
    """Send a notification by SMS and email, outside any request transaction."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.delivered_at is not None:
        return
    user = notification.user
    try:
        send_sms(to=user.phone, body=notification.message)
        send_mail(
            subject="Library: " + notification.get_kind_display(),
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


@shared_task(acks_late=True)
def redeliver_undelivered_notifications() -> int:
    """Every 5 minutes: notifications whose enqueue or every delivery attempt failed, again."""
    from accounts.notifications import redeliver_undelivered

    return redeliver_undelivered()


@shared_task(acks_late=True)
def purge_expired_credentials() -> dict[str, int]:
    """Daily: delete expired activation/reset links, OTP challenges and JWT bookkeeping rows."""
    from accounts.services.notifications import credentials_purge_expired

    deleted = credentials_purge_expired()
    logger.info("purged expired credentials: %s", deleted)
    return deleted
