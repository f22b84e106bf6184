"""Reads about money that other apps use (pricing, profiles) and the wallet endpoints show."""

from datetime import datetime

from django.db.models import QuerySet, Sum

from purchasing.errors import WalletNotFound
from purchasing.models import Payment, TransactionKind, Wallet, WalletTransaction


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


def wallet_of(*, user) -> Wallet:
    """The signed-in user's own wallet (404 `wallet_not_found` for an account without one)."""
    wallet = Wallet.objects.select_related("customer").filter(customer__user_id=user.pk).first()
    if wallet is None:
        raise WalletNotFound()
    return wallet


def wallet_transactions(*, wallet: Wallet) -> QuerySet[WalletTransaction]:
    """The wallet's ledger, newest first."""
    return WalletTransaction.objects.filter(wallet=wallet).order_by("-created_at", "-id")


def wallet_payments(*, wallet: Wallet) -> QuerySet[Payment]:
    """The wallet's charges, newest first."""
    return Payment.objects.filter(wallet=wallet).order_by("-created_at", "-id")
