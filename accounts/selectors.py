"""Reads about users and customers that other apps rely on."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Customer, Membership, Notification, Plan, User


def _best_membership(covering: Iterable[Membership]) -> Membership | None:
    """Of the memberships covering one moment, premium wins, then the one ending last."""
    ranked = sorted(covering, key=lambda m: (m.plan != Plan.PREMIUM, -m.ends_at.timestamp()))
    return ranked[0] if ranked else None


def current_membership(*, customer: Customer, at: datetime | None = None) -> Membership | None:
    """The membership covering `at` (now by default); premium wins if two overlap."""
    at = at or timezone.now()
    return _best_membership(
        Membership.objects.filter(customer=customer, starts_at__lte=at, ends_at__gt=at)
    )


def current_plan(*, customer: Customer, at: datetime | None = None) -> str:
    """The single source of truth for a customer's plan as of `at`: `free`, `plus` or `premium`."""
    membership = current_membership(customer=customer, at=at)
    return membership.plan if membership else Plan.FREE


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


def customer_list_with_status(*, at: datetime | None = None) -> QuerySet[Customer]:
    """Customers with what their profile shows — user, city, wallet, the memberships covering
    `at` and the number of active reservations — in a fixed number of queries for any page."""
    from reservations.models import ReservationStatus

    at = at or timezone.now()
    covering = Membership.objects.filter(starts_at__lte=at, ends_at__gt=at)
    return (
        Customer.objects.select_related("user", "city", "wallet")
        .annotate(
            active_reservations_count=Count(
                "reservations", filter=Q(reservations__status=ReservationStatus.ACTIVE)
            )
        )
        .prefetch_related(
            Prefetch("memberships", queryset=covering, to_attr="covering_memberships")
        )
        .order_by("id")
    )


def prefetched_membership(customer: Customer) -> Membership | None:
    """`current_membership` of a customer from `customer_list_with_status`, without a query."""
    return _best_membership(customer.covering_memberships)


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")
