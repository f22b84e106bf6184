"""Test data for the models purchasing owns: money in a wallet, put there through the wallet service."""

from accounts.models import Customer
from purchasing.models import TransactionKind
from purchasing.services import wallet_credit


def fund(customer: Customer, amount: int) -> None:
    """A top-up of `amount`, written to the ledger as a charge."""
    wallet_credit(
        customer_id=customer.pk,
        amount=amount,
        kind=TransactionKind.CHARGE,
        reference="test:top-up",
    )
