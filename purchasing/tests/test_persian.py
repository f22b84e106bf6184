"""Purchasing's texts in Persian: the 402 names the missing amount in Persian digits, and Zarinpal
shows a Persian-speaking member a Persian payment description."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from purchasing.tests import zarinpal_protocol as zp
from purchasing.tests.test_zarinpal import charge, member, server, zarinpal  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def test_a_short_wallet_answers_402_in_persian_with_the_same_code_and_figures():
    customer = CustomerFactory(balance=30_000)
    response = client_for(customer).post(
        "/api/memberships/", {"plan": "plus", "months": 1}, format="json", HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert response.status_code == 402
    assert response.json() == {
        "code": "insufficient_funds",
        "detail": "موجودی کیف پول شما برای این پرداخت کافی نیست؛ ۲۰٬۰۰۰ تومان کم دارید.",
        "required_amount": 50_000,
        "balance": 30_000,
        "missing_amount": 20_000,
        "charge_url": "/api/wallet/charge/?amount=20000",
    }
    assert response["Location"] == "/api/wallet/charge/?amount=20000"


def test_a_bad_idempotency_key_is_refused_in_persian():
    response = client_for(CustomerFactory()).post(
        "/api/wallet/charge/",
        {"amount": 1_000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="\u00e9",
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]["Idempotency-Key"] == ["۱ تا ۱۲۸ نویسهٔ دیدنی ASCII."]


@pytest.mark.parametrize(
    ("language", "description"),
    [("fa", "شارژ کیف پول کتابخانه، شمارهٔ {id}"), ("en", "Library wallet charge #{id}")],
)
def test_zarinpal_shows_the_payment_in_the_members_language(
    zarinpal,  # noqa: F811
    member,  # noqa: F811
    customer,
    language,
    description,
):
    customer.user.language = language
    customer.user.save(update_fields=["language"])
    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_json(zp.REQUEST_OK)
    response = charge(member)  # the request itself is in English: the member's language decides
    assert response.status_code == 201
    (sent,) = zp.bodies(zarinpal, zp.REQUEST_PATH)
    assert sent["description"] == description.format(id=response.json()["id"])
