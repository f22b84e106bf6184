import pytest

from accounts.tests.factories import CustomerFactory
from purchasing.errors import (
    IdempotencyKeyReused,
    InvalidAmount,
    PaymentAmountMismatch,
    PaymentNotFound,
    PaymentNotPending,
)
from purchasing.models import Payment, PaymentStatus, WalletTransaction
from purchasing.services import MAX_CHARGE_AMOUNT, payment_confirm, wallet_charge
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db


def charges_of(customer) -> int:
    return WalletTransaction.objects.filter(wallet__customer=customer, kind="charge").count()


def test_development_gateway_charge_succeeds_at_once_and_credits_the_wallet(customer):
    result = wallet_charge(customer_id=customer.pk, amount=25_000)
    payment = result.payment
    assert not result.replayed
    assert (payment.status, payment.gateway, payment.amount) == ("succeeded", "development", 25_000)
    assert payment.gateway_reference.startswith("dev-")
    assert payment.completed_at is not None
    assert balance_of(customer) == 25_000
    row = WalletTransaction.objects.get(wallet__customer=customer)
    assert (row.kind, row.amount, row.reference) == ("charge", 25_000, f"payment:{payment.pk}")


def test_webhook_gateway_charge_stays_pending_and_credits_nothing(customer, webhook_gateway):
    payment = wallet_charge(customer_id=customer.pk, amount=25_000).payment
    assert (payment.status, payment.gateway) == ("pending", "webhook")
    assert payment.gateway_reference.startswith("wh-")
    assert payment.completed_at is None
    assert balance_of(customer) == 0


def test_the_same_idempotency_key_and_amount_answers_the_first_payment_and_charges_once(customer):
    first = wallet_charge(customer_id=customer.pk, amount=10_000, idempotency_key="k-1")
    again = wallet_charge(customer_id=customer.pk, amount=10_000, idempotency_key="k-1")
    assert again.replayed
    assert again.payment.pk == first.payment.pk
    assert Payment.objects.filter(wallet__customer=customer).count() == 1
    assert charges_of(customer) == 1
    assert balance_of(customer) == 10_000


def test_the_same_idempotency_key_with_another_amount_is_refused_and_charges_nothing(customer):
    wallet_charge(customer_id=customer.pk, amount=10_000, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        wallet_charge(customer_id=customer.pk, amount=20_000, idempotency_key="k-1")
    assert balance_of(customer) == 10_000
    assert Payment.objects.filter(wallet__customer=customer).count() == 1


def test_an_idempotency_key_belongs_to_one_wallet_only(customer):
    other = CustomerFactory()
    wallet_charge(customer_id=customer.pk, amount=10_000, idempotency_key="shared")
    result = wallet_charge(customer_id=other.pk, amount=10_000, idempotency_key="shared")
    assert not result.replayed
    assert balance_of(other) == 10_000


def test_charges_without_a_key_are_never_deduplicated(customer):
    wallet_charge(customer_id=customer.pk, amount=1_000)
    wallet_charge(customer_id=customer.pk, amount=1_000)
    assert balance_of(customer) == 2_000


@pytest.mark.parametrize("amount", [0, -1, MAX_CHARGE_AMOUNT + 1, 10.5, 10.0, "10", True])
def test_charge_service_refuses_amounts_that_are_not_whole_toman_in_range(customer, amount):
    with pytest.raises(InvalidAmount):
        wallet_charge(customer_id=customer.pk, amount=amount)
    assert balance_of(customer) == 0
    assert not Payment.objects.exists()


def test_the_upper_bound_itself_is_accepted(customer):
    wallet_charge(customer_id=customer.pk, amount=MAX_CHARGE_AMOUNT)
    assert balance_of(customer) == MAX_CHARGE_AMOUNT


# --- confirmation by the gateway ----------------------------------------------------------------


@pytest.fixture
def pending(customer, webhook_gateway):
    return wallet_charge(customer_id=customer.pk, amount=30_000).payment


def confirm(payment, *, succeeded=True, amount=None, gateway="webhook"):
    return payment_confirm(
        gateway=gateway,
        reference=payment.gateway_reference,
        succeeded=succeeded,
        amount=payment.amount if amount is None else amount,
    )


def test_a_successful_event_settles_the_pending_payment_and_credits_the_wallet(customer, pending):
    result = confirm(pending)
    assert not result.duplicate
    assert result.payment.status == PaymentStatus.SUCCEEDED
    assert result.payment.completed_at is not None
    assert balance_of(customer) == 30_000
    assert charges_of(customer) == 1


def test_the_same_successful_event_twice_credits_once(customer, pending):
    confirm(pending)
    again = confirm(pending)
    assert again.duplicate
    assert balance_of(customer) == 30_000
    assert charges_of(customer) == 1


def test_a_failed_event_marks_the_payment_failed_and_credits_nothing(customer, pending):
    result = confirm(pending, succeeded=False)
    assert result.payment.status == PaymentStatus.FAILED
    assert confirm(pending, succeeded=False).duplicate
    assert balance_of(customer) == 0


def test_a_final_payment_never_changes_outcome(customer, pending):
    confirm(pending, succeeded=False)
    with pytest.raises(PaymentNotPending):
        confirm(pending, succeeded=True)
    assert balance_of(customer) == 0
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.FAILED


def test_a_success_cannot_be_turned_into_a_failure(customer, pending):
    confirm(pending)
    with pytest.raises(PaymentNotPending):
        confirm(pending, succeeded=False)
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.SUCCEEDED
    assert balance_of(customer) == 30_000


def test_an_event_with_another_amount_is_refused_and_the_payment_stays_pending(customer, pending):
    with pytest.raises(PaymentAmountMismatch) as caught:
        confirm(pending, amount=31_000)
    assert caught.value.extra == {"expected_amount": 30_000}
    assert Payment.objects.get(pk=pending.pk).status == PaymentStatus.PENDING
    assert balance_of(customer) == 0


def test_an_unknown_reference_is_not_found():
    with pytest.raises(PaymentNotFound):
        payment_confirm(gateway="webhook", reference="wh-nope", succeeded=True, amount=1)


def test_a_reference_of_another_gateway_is_not_found(customer):
    payment = wallet_charge(customer_id=customer.pk, amount=1_000).payment  # development
    with pytest.raises(PaymentNotFound):
        confirm(payment, gateway="webhook")
