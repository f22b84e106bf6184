import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory, UserFactory
from purchasing.models import Payment, TransactionKind
from purchasing.services import MAX_CHARGE_AMOUNT, wallet_charge, wallet_debit
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db

CHARGE = "/api/wallet/charge/"


@pytest.fixture
def client(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/wallet/"),
        ("get", "/api/wallet/transactions/"),
        ("get", CHARGE),
        ("post", CHARGE),
        ("get", "/api/payments/"),
        ("post", "/api/memberships/"),
        ("get", "/api/memberships/current/"),
    ],
)
def test_wallet_payment_and_membership_endpoints_need_a_token(method, url):
    response = getattr(APIClient(), method)(url, {"amount": 1000}, format="json")
    assert response.status_code == 401


def test_a_real_jwt_access_token_is_accepted(customer):
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(customer.user).access_token}"
    )
    assert client.get("/api/wallet/").status_code == 200


def test_wallet_shows_my_balance(customer, client):
    wallet_charge(customer_id=customer.pk, amount=12_000)
    response = client.get("/api/wallet/")
    assert response.status_code == 200
    assert response.json()["balance"] == 12_000


def test_an_account_without_a_customer_profile_has_no_wallet():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get("/api/wallet/")
    assert response.status_code == 404
    assert response.json()["code"] == "wallet_not_found"


def test_transactions_list_newest_first_and_paginated(
    customer, client, django_assert_max_num_queries
):
    for _ in range(24):
        wallet_charge(customer_id=customer.pk, amount=1_000)
    wallet_debit(customer_id=customer.pk, amount=500, kind=TransactionKind.RESERVATION_FEE)
    with django_assert_max_num_queries(4):
        response = client.get("/api/wallet/transactions/")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["results"][0]["kind"] == "reservation_fee"
    assert body["results"][0]["balance_after"] == 23_500
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "created_at",
    }
    second = client.get("/api/wallet/transactions/", {"page": 2}).json()
    assert len(second["results"]) == 5


def test_transactions_show_only_my_own_ledger(customer, client):
    other = CustomerFactory(balance=5_000)
    assert other.pk != customer.pk
    assert client.get("/api/wallet/transactions/").json()["count"] == 0


def test_payments_list_only_my_own_payments_with_their_status(customer, client):
    mine = wallet_charge(customer_id=customer.pk, amount=3_000).payment
    wallet_charge(customer_id=CustomerFactory().pk, amount=9_000)
    results = client.get("/api/payments/").json()["results"]
    assert [(p["id"], p["status"], p["amount"]) for p in results] == [(mine.pk, "succeeded", 3_000)]


# --- POST wallet/charge/ ------------------------------------------------------------------------


def test_charging_answers_201_with_the_succeeded_payment_and_credits_the_wallet(customer, client):
    response = client.post(CHARGE, {"amount": 40_000}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["status"], body["gateway"]) == (40_000, "succeeded", "development")
    assert "Idempotent-Replayed" not in response
    assert balance_of(customer) == 40_000


def test_with_a_webhook_gateway_the_charge_answers_201_pending(customer, client, webhook_gateway):
    response = client.post(CHARGE, {"amount": 40_000}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert balance_of(customer) == 0


@pytest.mark.parametrize(
    "amount",
    [
        0,
        -1,
        -50_000,
        10.5,
        "10.5",
        10.0,
        "10",
        "ten",
        "",
        True,
        False,
        None,
        [],
        {},
        MAX_CHARGE_AMOUNT + 1,
        10**30,
    ],
)
def test_a_bad_amount_is_400_naming_amount_and_leaves_the_balance_unchanged(
    customer, client, amount
):
    wallet_charge(customer_id=customer.pk, amount=1_000)
    response = client.post(CHARGE, {"amount": amount}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "amount" in response.json()["errors"]
    assert balance_of(customer) == 1_000
    assert Payment.objects.count() == 1


def test_a_missing_amount_is_400(client):
    response = client.post(CHARGE, {}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]


def test_an_amount_too_long_to_parse_is_400_not_500(customer, client):
    body = '{"amount": ' + "9" * 5000 + "}"
    response = client.post(CHARGE, body, content_type="application/json")
    assert response.status_code == 400
    assert balance_of(customer) == 0


def test_a_non_json_body_is_refused_with_415(customer, client):
    response = client.post(CHARGE, {"amount": "1000"}, format="multipart")
    assert response.status_code == 415
    assert balance_of(customer) == 0


def test_the_same_idempotency_key_and_body_answers_the_first_payment_again(customer, client):
    first = client.post(CHARGE, {"amount": 5_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(CHARGE, {"amount": 5_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["idempotency_key"] == "abc-1"
    assert balance_of(customer) == 5_000


def test_the_same_idempotency_key_with_another_body_is_409(customer, client):
    client.post(CHARGE, {"amount": 5_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    response = client.post(CHARGE, {"amount": 6_000}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert balance_of(customer) == 5_000


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "ключ"])
def test_a_malformed_idempotency_key_is_400_and_charges_nothing(customer, client, key):
    response = client.post(CHARGE, {"amount": 5_000}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert balance_of(customer) == 0


# --- GET wallet/charge/?amount= (the 402's charge_url) ------------------------------------------


def test_the_charge_form_is_prefilled_from_the_query(client):
    response = client.get(CHARGE, {"amount": "4500"})
    assert response.status_code == 200
    assert response.json() == {"amount": 4500, "min_amount": 1, "max_amount": MAX_CHARGE_AMOUNT}


def test_the_charge_form_without_an_amount_has_none(client):
    assert client.get(CHARGE).json()["amount"] is None


@pytest.mark.parametrize(
    "amount", ["0", "-5", "10.5", "1e3", "abc", str(MAX_CHARGE_AMOUNT + 1), "9" * 40]
)
def test_the_charge_form_refuses_a_bad_prefill_amount(client, amount):
    response = client.get(CHARGE, {"amount": amount})
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("get", "/api/wallet/transactions/", None),
        ("get", "/api/payments/", None),
        ("post", CHARGE, {"amount": 1_000}),
        ("post", "/api/memberships/", {"plan": "plus", "months": 1}),
        ("get", "/api/memberships/current/", None),
    ],
)
def test_every_wallet_endpoint_answers_404_for_an_account_without_a_wallet(method, url, payload):
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = getattr(client, method)(url, payload, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "wallet_not_found"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/wallet/"),
        ("delete", "/api/wallet/"),
        ("post", "/api/wallet/transactions/"),
        ("post", "/api/payments/"),
        ("patch", CHARGE),
        ("post", "/api/memberships/plans/"),
        ("get", "/api/memberships/"),
        ("delete", "/api/memberships/current/"),
    ],
)
def test_methods_an_endpoint_does_not_offer_answer_405(client, method, url):
    assert getattr(client, method)(url, {}, format="json").status_code == 405


def test_payments_list_costs_a_fixed_number_of_queries(
    customer, client, django_assert_max_num_queries
):
    for _ in range(30):
        wallet_charge(customer_id=customer.pk, amount=1_000)
    with django_assert_max_num_queries(4):
        response = client.get("/api/payments/", {"page_size": 30})
    assert len(response.json()["results"]) == 30
