"""Writes that move money. `wallet_credit` and `wallet_debit` are the only code that touches a balance."""

from django.db import transaction

from purchasing.errors import InsufficientFunds
from purchasing.models import TransactionKind, Wallet, WalletTransaction

CREDIT_KINDS = {TransactionKind.CHARGE, TransactionKind.REFUND}
DEBIT_KINDS = {TransactionKind.RESERVATION_FEE, TransactionKind.MEMBERSHIP_FEE}


def wallet_open(*, customer_id: int) -> Wallet:
    """Give a new customer an empty wallet (called by sign-up, inside its transaction)."""
    return Wallet.objects.create(customer_id=customer_id)


def wallet_for_update(*, customer_id: int) -> Wallet:
    """Lock the customer's wallet row for the rest of the transaction (the last lock in our order)."""
    return Wallet.objects.select_for_update().get(customer_id=customer_id)


def _apply(*, wallet: Wallet, kind: str, amount: int, reference: str) -> WalletTransaction:
    wallet.balance += amount
    wallet.save(update_fields=["balance", "updated_at"])
    return WalletTransaction.objects.create(
        wallet=wallet, kind=kind, amount=amount, balance_after=wallet.balance, reference=reference
    )


@transaction.atomic
def wallet_credit(
    *, customer_id: int, amount: int, kind: str, reference: str = ""
) -> WalletTransaction:
    """Add money (a charge or a refund) and write its ledger row, under the wallet's row lock."""
    if kind not in CREDIT_KINDS or amount <= 0:
        raise ValueError(f"invalid credit: {kind} {amount}")
    wallet = wallet_for_update(customer_id=customer_id)
    return _apply(wallet=wallet, kind=kind, amount=amount, reference=reference)


@transaction.atomic
def wallet_debit(
    *, customer_id: int, amount: int, kind: str, reference: str = ""
) -> WalletTransaction:
    """Take money and write its ledger row; `InsufficientFunds` (402) when the balance is short."""
    if kind not in DEBIT_KINDS or amount <= 0:
        raise ValueError(f"invalid debit: {kind} {amount}")
    wallet = wallet_for_update(customer_id=customer_id)
    if wallet.balance < amount:
        raise InsufficientFunds(required_amount=amount, balance=wallet.balance)
    return _apply(wallet=wallet, kind=kind, amount=-amount, reference=reference)
