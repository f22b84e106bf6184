"""Domain errors of reservations and the hold queue (rendered by the one DRF exception handler)."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class MembershipRequired(DomainError):
    code = "membership_required"
    http_status = 403
    default_detail = _("Reserving books needs a plus or premium membership.")


class InvalidDuration(DomainError):
    code = "invalid_duration"
    http_status = 400
    default_detail = _("The number of days is outside what your plan allows.")


class AlreadyReserved(DomainError):
    code = "already_reserved"
    http_status = 409
    default_detail = _("You already have an active reservation for this book.")


class AlreadyQueued(DomainError):
    code = "already_queued"
    http_status = 409
    default_detail = _("You are already waiting in this book's queue.")


class ReservationLimitReached(DomainError):
    code = "reservation_limit_reached"
    http_status = 409
    default_detail = _("You hold as many active reservations as your plan allows.")


class RenewalBlocked(DomainError):
    code = "renewal_blocked"
    http_status = 409
    default_detail = _("Someone is waiting for this book, so the reservation cannot be extended.")


class ShorteningRefused(DomainError):
    code = "shortening_refused"
    http_status = 400
    default_detail = _("A renewal must make the reservation longer than it is.")


class ReservationNotActive(DomainError):
    code = "reservation_not_active"
    http_status = 409
    default_detail = _("This reservation has already ended.")


class QueueEntryNotWaiting(DomainError):
    code = "queue_entry_not_waiting"
    http_status = 409
    default_detail = _("This queue entry is no longer waiting.")


class InvalidSuspension(DomainError):
    code = "invalid_suspension"
    http_status = 400
    default_detail = _("A queue entry can be suspended until a moment in the next 30 days.")
