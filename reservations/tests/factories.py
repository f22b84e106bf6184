"""Factories for the models reservations owns (reservations and queue entries).

Rows made here skip the reservation service (no charge, no units taken): for tests that need a
reservation or a waiting entry to exist, not for tests of how one is made.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import CustomerFactory
from catalog.tests.factories import BookFactory
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus


class ReservationFactory(factory.django.DjangoModelFactory):
    """An active reservation started now; pass `starts_at` for one in the past."""

    class Meta:
        model = Reservation

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    days = 7
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=o.days))
    price = 7000
    status = ReservationStatus.ACTIVE
    ended_at = None


class QueueEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueEntry

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    days = 7
    queued_at = factory.LazyFunction(timezone.now)
    status = QueueStatus.WAITING


def make_due(reservation: Reservation) -> None:
    """Move a reservation's period into the past so that it is due now (ended a minute ago)."""
    Reservation.objects.filter(pk=reservation.pk).update(
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(minutes=1),
    )
