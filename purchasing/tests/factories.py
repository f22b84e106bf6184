"""Test data for the models purchasing owns: money in a wallet, put there through the wallet
service, and what a wallet holds."""

from django.db.models import Sum

from accounts.models import Customer
from purchasing.models import TransactionKind, Wallet, WalletTransaction
from purchasing.services import wallet_credit


def fund(customer: Customer, amount: int) -> None:
    """A top-up of `amount`, written to the ledger as a charge."""
    wallet_credit(
        customer_id=customer.pk,
        amount=amount,
        kind=TransactionKind.CHARGE,
        reference="test:top-up",
    )


def balance_of(customer: Customer) -> int:
    """The customer's wallet balance as stored now."""
    return Wallet.objects.get(customer=customer).balance


def ledger_sum(customer: Customer) -> int:
    """The sum of every ledger row of the customer's wallet (what the balance must equal)."""
    return WalletTransaction.objects.filter(wallet__customer=customer).aggregate(s=Sum("amount"))[
        "s"
    ]
