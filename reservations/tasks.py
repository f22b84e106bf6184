"""Periodic work of reservations: exact expiry and end-of-loan reminders. Both are idempotent."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, NotificationKind
from accounts.notifications import notify
from core.l10n import local_datetime
from reservations.models import Reservation
from reservations.rules import counting_toward_limit_q, due_q
from reservations.services import settle_due_reservations

REMIND_AHEAD = timedelta(hours=24)


def reminder_event_key(reservation: Reservation) -> str:
    """One reminder per end date: a renewed reservation is reminded again before its new end."""
    return f"reservation_ending:{reservation.pk}:{int(reservation.ends_at.timestamp())}"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def expire_due_reservations() -> int:
    """End every reservation whose time has passed and promote the queues (every minute)."""
    return settle_due_reservations()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def remind_reservations_ending_soon() -> int:
    """Tell members whose reservation ends within a day, once per reservation end."""
    now = timezone.now()
    ending = Reservation.objects.filter(
        counting_toward_limit_q(now), due_q(now + REMIND_AHEAD)
    ).select_related("customer", "book")
    sent = 0
    for reservation in ending:
        key = reminder_event_key(reservation)
        if Notification.objects.filter(event_key=key).exists():
            continue
        notify(
            user_id=reservation.customer.user_id,
            kind=NotificationKind.RESERVATION_ENDING,
            message=lambda reservation=reservation: (
                _("Your reservation of “%(title)s” ends on %(ends_at)s.")
                % {"title": reservation.book.title, "ends_at": local_datetime(reservation.ends_at)}
            ),
            event_key=key,
        )
        sent += 1
    return sent
