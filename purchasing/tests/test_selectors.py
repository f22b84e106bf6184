from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import CustomerFactory, UserFactory
from purchasing.errors import WalletNotFound
from purchasing.models import TransactionKind
from purchasing.selectors import amount_paid_since, wallet_of, wallet_transactions
from purchasing.services import membership_purchase, wallet_charge, wallet_credit, wallet_debit

pytestmark = pytest.mark.django_db


def debit(customer, amount, kind=TransactionKind.RESERVATION_FEE):
    wallet_debit(customer_id=customer.pk, amount=amount, kind=kind)


def test_amount_paid_counts_reservation_and_membership_fees():
    customer = CustomerFactory(balance=100_000)
    since = timezone.now() - timedelta(seconds=1)
    debit(customer, 7_000)
    debit(customer, 50_000, TransactionKind.MEMBERSHIP_FEE)
    assert amount_paid_since(customer_id=customer.pk, since=since) == 57_000


def test_wallet_top_ups_are_not_payments():
    customer = CustomerFactory()
    since = timezone.now() - timedelta(seconds=1)
    wallet_charge(customer_id=customer.pk, amount=500_000)
    assert amount_paid_since(customer_id=customer.pk, since=since) == 0


def test_refunds_are_subtracted_from_what_was_paid():
    customer = CustomerFactory(balance=250_000)
    since = timezone.now() - timedelta(seconds=1)
    now = timezone.now()
    membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=now)
    purchase = membership_purchase(
        customer_id=customer.pk, plan="plus", months=1, at=now + timedelta(days=15)
    )
    assert purchase.refunded == 200_000 * 15 // 30
    expected = 200_000 - purchase.refunded + 50_000
    assert amount_paid_since(customer_id=customer.pk, since=since) == expected


def test_only_money_spent_since_the_moment_counts():
    customer = CustomerFactory(balance=100_000)
    debit(customer, 40_000)
    since = timezone.now()
    debit(customer, 3_000)
    assert amount_paid_since(customer_id=customer.pk, since=since) == 3_000


def test_refunds_larger_than_the_window_s_fees_never_make_it_negative():
    customer = CustomerFactory()
    since = timezone.now() - timedelta(seconds=1)
    wallet_credit(customer_id=customer.pk, amount=9_000, kind=TransactionKind.REFUND)
    assert amount_paid_since(customer_id=customer.pk, since=since) == 0


def test_another_customer_s_payments_do_not_count():
    customer, other = CustomerFactory(balance=10_000), CustomerFactory(balance=10_000)
    since = timezone.now() - timedelta(seconds=1)
    debit(other, 10_000)
    assert amount_paid_since(customer_id=customer.pk, since=since) == 0


def test_wallet_of_a_user_without_a_customer_profile_is_not_found():
    with pytest.raises(WalletNotFound):
        wallet_of(user=UserFactory())


def test_the_ledger_lists_newest_first():
    customer = CustomerFactory(balance=1_000)
    debit(customer, 400)
    kinds = [row.kind for row in wallet_transactions(wallet=wallet_of(user=customer.user))]
    assert kinds == ["reservation_fee", "charge"]
