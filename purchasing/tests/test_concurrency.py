"""Real threads on PostgreSQL: row locks, not luck, keep every wallet equal to its ledger."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import Membership
from accounts.tests.factories import CustomerFactory
from purchasing.errors import InsufficientFunds
from purchasing.models import Payment, TransactionKind, Wallet, WalletTransaction
from purchasing.services import membership_purchase, payment_confirm, wallet_charge, wallet_debit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count: int, work: Callable[[], object]) -> list:
    """Start `count` threads that call `work` at the same moment; their results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def target():
        try:
            barrier.wait()
            outcome = work()
        except Exception as error:  # the test inspects every outcome
            outcome = error
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count
    return results


def assert_wallet_equals_its_ledger(customer) -> int:
    balance = Wallet.objects.get(customer=customer).balance
    rows = WalletTransaction.objects.filter(wallet__customer=customer).order_by("id")
    assert rows.aggregate(total=Sum("amount"))["total"] == balance
    running = 0
    for row in rows:
        running += row.amount
        assert row.balance_after == running >= 0
    return balance


def test_ten_threads_debiting_one_wallet_lose_no_update_and_never_go_negative():
    customer = CustomerFactory(balance=7_500)
    results = run_at_once(
        10,
        lambda: wallet_debit(
            customer_id=customer.pk, amount=1_000, kind=TransactionKind.RESERVATION_FEE
        ),
    )
    succeeded = [r for r in results if isinstance(r, WalletTransaction)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(succeeded), len(refused)) == (7, 3)
    assert sorted(r.balance_after for r in succeeded) == [
        500,
        1_500,
        2_500,
        3_500,
        4_500,
        5_500,
        6_500,
    ]
    assert assert_wallet_equals_its_ledger(customer) == 500


def test_ten_threads_debiting_a_rich_wallet_all_land():
    customer = CustomerFactory(balance=100_000)
    results = run_at_once(
        10,
        lambda: wallet_debit(
            customer_id=customer.pk, amount=3_000, kind=TransactionKind.MEMBERSHIP_FEE
        ),
    )
    assert all(isinstance(r, WalletTransaction) for r in results)
    assert assert_wallet_equals_its_ledger(customer) == 70_000


def test_concurrent_charges_with_one_idempotency_key_charge_once():
    customer = CustomerFactory()
    results = run_at_once(
        8, lambda: wallet_charge(customer_id=customer.pk, amount=20_000, idempotency_key="same")
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.payment.pk for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert Payment.objects.filter(wallet__customer=customer).count() == 1
    assert assert_wallet_equals_its_ledger(customer) == 20_000


def test_the_same_webhook_event_delivered_concurrently_credits_once(settings):
    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    customer = CustomerFactory()
    payment = wallet_charge(customer_id=customer.pk, amount=45_000).payment
    results = run_at_once(
        8,
        lambda: payment_confirm(
            gateway="webhook", reference=payment.gateway_reference, succeeded=True, amount=45_000
        ),
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(not r.duplicate for r in results) == 1
    assert assert_wallet_equals_its_ledger(customer) == 45_000


def test_concurrent_membership_purchases_extend_one_membership_as_far_as_the_money_goes():
    customer = CustomerFactory(balance=150_000)
    results = run_at_once(
        5, lambda: membership_purchase(customer_id=customer.pk, plan="plus", months=1)
    )
    assert sum(isinstance(r, InsufficientFunds) for r in results) == 2
    membership = Membership.objects.get(customer=customer)
    assert (membership.ends_at - membership.starts_at).days == 90
    assert membership.price_paid == 150_000
    assert assert_wallet_equals_its_ledger(customer) == 0
