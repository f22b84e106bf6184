import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from accounts.tests.factories import CustomerFactory
from purchasing.errors import InsufficientFunds, WalletNotFound
from purchasing.models import LedgerIsAppendOnly, TransactionKind, Wallet, WalletTransaction
from purchasing.services import wallet_credit, wallet_debit, wallet_for_update
from purchasing.tests.factories import balance_of, ledger_sum

pytestmark = pytest.mark.django_db


def test_credit_raises_the_balance_and_writes_a_ledger_row_with_the_new_balance(customer):
    row = wallet_credit(
        customer_id=customer.pk, amount=7_000, kind=TransactionKind.CHARGE, reference="payment:1"
    )
    assert balance_of(customer) == 7_000
    assert (row.kind, row.amount, row.balance_after, row.reference) == (
        "charge",
        7_000,
        7_000,
        "payment:1",
    )


def test_debit_lowers_the_balance_and_records_a_negative_amount():
    customer = CustomerFactory(balance=10_000)
    row = wallet_debit(customer_id=customer.pk, amount=3_000, kind=TransactionKind.RESERVATION_FEE)
    assert balance_of(customer) == 7_000
    assert (row.amount, row.balance_after) == (-3_000, 7_000)
    assert ledger_sum(customer) == 7_000


def test_debit_of_exactly_the_balance_leaves_zero():
    customer = CustomerFactory(balance=5_000)
    wallet_debit(customer_id=customer.pk, amount=5_000, kind=TransactionKind.MEMBERSHIP_FEE)
    assert balance_of(customer) == 0


def test_short_debit_raises_insufficient_funds_with_the_gap_and_changes_nothing():
    customer = CustomerFactory(balance=2_500)
    with pytest.raises(InsufficientFunds) as caught:
        wallet_debit(customer_id=customer.pk, amount=7_000, kind=TransactionKind.RESERVATION_FEE)
    assert caught.value.extra == {
        "required_amount": 7_000,
        "balance": 2_500,
        "missing_amount": 4_500,
        "charge_url": "/api/wallet/charge/?amount=4500",
    }
    assert caught.value.http_status == 402
    assert balance_of(customer) == 2_500
    assert WalletTransaction.objects.filter(wallet__customer=customer).count() == 1


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (TransactionKind.RESERVATION_FEE, 100),  # a debit kind cannot credit
        (TransactionKind.CHARGE, 0),
        (TransactionKind.CHARGE, -5),
        (TransactionKind.CHARGE, 10.5),
        (TransactionKind.CHARGE, True),
    ],
)
def test_credit_refuses_a_wrong_kind_or_a_non_positive_or_non_integer_amount(
    customer, kind, amount
):
    with pytest.raises(ValueError):
        wallet_credit(customer_id=customer.pk, amount=amount, kind=kind)
    assert balance_of(customer) == 0


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (TransactionKind.REFUND, 100),  # a credit kind cannot debit
        (TransactionKind.RESERVATION_FEE, 0),
        (TransactionKind.RESERVATION_FEE, -5),
        (TransactionKind.RESERVATION_FEE, 1.0),
    ],
)
def test_debit_refuses_a_wrong_kind_or_a_non_positive_or_non_integer_amount(kind, amount):
    customer = CustomerFactory(balance=1_000)
    with pytest.raises(ValueError):
        wallet_debit(customer_id=customer.pk, amount=amount, kind=kind)
    assert balance_of(customer) == 1_000


def test_a_customer_without_a_wallet_gets_wallet_not_found():
    customer = CustomerFactory()
    Wallet.objects.filter(customer=customer).delete()
    with pytest.raises(WalletNotFound):
        wallet_for_update(customer_id=customer.pk)


def test_locking_a_wallet_reads_its_balance():
    customer = CustomerFactory(balance=4_000)
    with transaction.atomic():
        wallet = wallet_for_update(customer_id=customer.pk)
    assert (wallet.pk, wallet.customer_id, wallet.balance) == (
        customer.wallet.pk,
        customer.pk,
        4_000,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_locking_a_wallet_outside_a_transaction_is_refused():
    customer = CustomerFactory()
    with pytest.raises(TransactionManagementError):
        wallet_for_update(customer_id=customer.pk)


def test_a_balance_change_stamps_the_wallet_it_locked():
    customer = CustomerFactory(balance=4_000)
    before = Wallet.objects.get(customer=customer).updated_at
    row = wallet_debit(customer_id=customer.pk, amount=1_000, kind=TransactionKind.RESERVATION_FEE)
    wallet = Wallet.objects.get(customer=customer)
    assert (wallet.balance, wallet.updated_at > before) == (3_000, True)
    stored = WalletTransaction.objects.get(pk=row.pk)
    fields = ("wallet_id", "kind", "amount", "balance_after", "reference", "created_at")
    assert [getattr(row, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert (stored.created_at, row.wallet.pk) == (wallet.updated_at, wallet.pk)


def test_a_debit_in_the_callers_transaction_costs_three_statements(django_assert_num_queries):
    customer = CustomerFactory(balance=4_000)
    fee = TransactionKind.RESERVATION_FEE
    with transaction.atomic():
        wallet_debit(customer_id=customer.pk, amount=500, kind=fee)  # statements now prepared
        with django_assert_num_queries(3):  # the wallet locked, its balance, the ledger row
            wallet_debit(customer_id=customer.pk, amount=1_000, kind=fee)
    assert (balance_of(customer), ledger_sum(customer)) == (2_500, 2_500)


def test_a_refused_movement_leaves_the_callers_transaction_usable():
    customer = CustomerFactory(balance=1_000)
    walletless = CustomerFactory()
    Wallet.objects.filter(customer=walletless).delete()
    with transaction.atomic():
        with pytest.raises(InsufficientFunds) as error:
            wallet_debit(
                customer_id=customer.pk, amount=1_500, kind=TransactionKind.RESERVATION_FEE
            )
        with pytest.raises(WalletNotFound):
            wallet_credit(customer_id=walletless.pk, amount=500, kind=TransactionKind.CHARGE)
        wallet_credit(customer_id=customer.pk, amount=500, kind=TransactionKind.CHARGE)
    assert error.value.extra["balance"] == 1_000
    assert (balance_of(customer), ledger_sum(customer)) == (1_500, 1_500)


def test_ledger_rows_can_be_neither_changed_nor_deleted():
    customer = CustomerFactory(balance=1_000)
    row = WalletTransaction.objects.get(wallet__customer=customer)
    row.amount = 1_000_000
    with pytest.raises(LedgerIsAppendOnly):
        row.save()
    with pytest.raises(LedgerIsAppendOnly):
        row.delete()
    assert WalletTransaction.objects.get(pk=row.pk).amount == 1_000
