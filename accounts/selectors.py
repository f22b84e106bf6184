"""Reads about users and customers that other apps rely on."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts import hooks
from accounts.models import Customer, Membership, Notification, User
from accounts.plans import (
    covering_memberships,
    current_membership_among,
    plan_of,
    winning_membership,
)


def current_membership(*, customer: Customer, at: datetime | None = None) -> Membership | None:
    """The membership deciding the customer's plan at `at` (now by default), if any."""
    at = at or timezone.now()
    return current_membership_among(covering_memberships(at=at).filter(customer=customer), at)


def current_plan(*, customer: Customer, at: datetime | None = None) -> str:
    """The customer's plan as of `at`: `free`, `plus` or `premium`."""
    return plan_of(current_membership(customer=customer, at=at))


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


def customer_list_with_status(*, at: datetime | None = None) -> QuerySet[Customer]:
    """Customers with what their profile shows — user, city, wallet, the memberships covering
    `at` and the number of active reservations — in a fixed number of queries for any page."""
    at = at or timezone.now()
    covering = covering_memberships(at=at)
    return (
        Customer.objects.select_related("user", "city", "wallet")
        .annotate(active_reservations_count=hooks.active_reservations_count(at))
        .prefetch_related(
            Prefetch("memberships", queryset=covering, to_attr="covering_memberships")
        )
        .order_by("id")
    )


def prefetched_membership(customer: Customer) -> Membership | None:
    """`current_membership` of a customer from `customer_list_with_status`, without a query."""
    return winning_membership(customer.covering_memberships)


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")
