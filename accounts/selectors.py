"""Reads about users and customers that other apps rely on."""

from datetime import datetime

from django.utils import timezone

from accounts.models import Customer, Membership, Plan


def current_membership(*, customer: Customer, at: datetime | None = None) -> Membership | None:
    """The membership covering `at` (now by default); premium wins if two overlap."""
    at = at or timezone.now()
    covering = [
        m for m in Membership.objects.filter(customer=customer, starts_at__lte=at, ends_at__gt=at)
    ]
    if not covering:
        return None
    return sorted(covering, key=lambda m: (m.plan != Plan.PREMIUM, -m.ends_at.timestamp()))[0]


def current_plan(*, customer: Customer, at: datetime | None = None) -> str:
    """The single source of truth for a customer's plan as of `at`: `free`, `plus` or `premium`."""
    membership = current_membership(customer=customer, at=at)
    return membership.plan if membership else Plan.FREE
