"""Reads about reservations and queues that views and other apps use."""

from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus


def customer_active_reservation_count(*, customer_id: int) -> int:
    return Reservation.objects.filter(
        customer_id=customer_id, status=ReservationStatus.ACTIVE
    ).count()


def book_is_in_use(*, book_id: int) -> bool:
    """A book someone holds or waits for cannot be deleted."""
    return (
        Reservation.objects.filter(book_id=book_id, status=ReservationStatus.ACTIVE).exists()
        or QueueEntry.objects.filter(book_id=book_id, status=QueueStatus.WAITING).exists()
    )
