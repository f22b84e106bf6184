import json

import pytest
from rest_framework.test import APIClient

from purchasing.gateways import sign
from purchasing.models import Payment, WalletTransaction
from purchasing.services import wallet_charge
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/payments/webhook/"
SECRET = "test-webhook-secret"


@pytest.fixture
def pending(customer, webhook_gateway):
    return wallet_charge(customer_id=customer.pk, amount=30_000).payment


def event_body(payment, *, status="succeeded", amount=None) -> bytes:
    amount = payment.amount if amount is None else amount
    return json.dumps(
        {"reference": payment.gateway_reference, "status": status, "amount": amount}
    ).encode()


def post(body: bytes, signature: str | None = None, **extra):
    headers = {} if signature is None else {"HTTP_X_SIGNATURE": signature}
    return APIClient().post(WEBHOOK, body, content_type="application/json", **headers, **extra)


def test_a_signed_success_event_credits_the_wallet_without_any_token(customer, pending):
    body = event_body(pending)
    response = post(body, sign(body, SECRET))
    assert response.status_code == 200
    assert response.json() == {
        "reference": pending.gateway_reference,
        "status": "succeeded",
        "duplicate": False,
    }
    assert balance_of(customer) == 30_000
    assert Payment.objects.get(pk=pending.pk).status == "succeeded"


def test_the_same_event_twice_credits_once(customer, pending):
    body = event_body(pending)
    post(body, sign(body, SECRET))
    response = post(body, sign(body, SECRET))
    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert balance_of(customer) == 30_000
    assert WalletTransaction.objects.filter(wallet__customer=customer).count() == 1


def test_a_signed_failure_event_fails_the_payment_and_credits_nothing(customer, pending):
    body = event_body(pending, status="failed")
    response = post(body, sign(body, SECRET))
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert balance_of(customer) == 0


@pytest.mark.parametrize(
    "make_signature",
    [
        lambda body: None,
        lambda body: "",
        lambda body: "deadbeef",
        lambda body: sign(b"another body", SECRET),
        lambda body: sign(body, "wrong-secret"),
    ],
    ids=["missing", "empty", "garbage", "other-body", "wrong-secret"],
)
def test_a_missing_or_bad_signature_is_400_and_touches_no_money(customer, pending, make_signature):
    body = event_body(pending)
    response = post(body, make_signature(body))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert balance_of(customer) == 0
    assert Payment.objects.get(pk=pending.pk).status == "pending"


def test_a_bearer_token_does_not_matter_to_the_webhook(customer, pending):
    body = event_body(pending)
    response = post(body, sign(body, SECRET), HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 200
    assert balance_of(customer) == 30_000


def test_an_unknown_payment_is_404(pending):
    body = json.dumps({"reference": "wh-unknown", "status": "succeeded", "amount": 1}).encode()
    response = post(body, sign(body, SECRET))
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"


def test_an_event_for_another_amount_is_400_and_credits_nothing(customer, pending):
    body = event_body(pending, amount=1_000_000)
    response = post(body, sign(body, SECRET))
    assert response.status_code == 400
    assert response.json()["code"] == "amount_mismatch"
    assert response.json()["expected_amount"] == 30_000
    assert balance_of(customer) == 0


def test_an_event_contradicting_a_final_payment_is_409(customer, pending):
    failed = event_body(pending, status="failed")
    post(failed, sign(failed, SECRET))
    body = event_body(pending)
    response = post(body, sign(body, SECRET))
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_pending"
    assert balance_of(customer) == 0


@pytest.mark.parametrize("body", [b"{not json", b'"text"', b'{"reference": "r"}'])
def test_a_signed_malformed_body_is_400_with_the_offending_fields(pending, body):
    response = post(body, sign(body, SECRET))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert response.json()["errors"]


def test_the_webhook_only_accepts_post(pending):
    assert APIClient().get(WEBHOOK).status_code == 405
