"""Reads about money that other apps use (pricing, profiles)."""

from datetime import datetime

from django.db.models import Sum

from purchasing.models import TransactionKind, WalletTransaction


def amount_paid_since(*, customer_id: int, since: datetime) -> int:
    """Net money spent since `since`: reservation and membership fees less refunds (never top-ups)."""
    total = (
        WalletTransaction.objects.filter(
            wallet__customer_id=customer_id,
            created_at__gte=since,
            kind__in=[
                TransactionKind.RESERVATION_FEE,
                TransactionKind.MEMBERSHIP_FEE,
                TransactionKind.REFUND,
            ],
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(0, -total)
