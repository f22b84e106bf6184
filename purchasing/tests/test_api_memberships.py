from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.tests.factories import CustomerFactory, MembershipFactory
from purchasing.services import membership_purchase
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db

MEMBERSHIPS = "/api/memberships/"


def client_for(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def test_plans_are_public_with_prices_limits_and_priority():
    response = APIClient().get("/api/memberships/plans/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "plan": "free",
            "price_per_30_days": 0,
            "purchasable": False,
            "may_reserve": False,
            "max_days": 0,
            "max_active_reservations": 0,
            "queue_priority": None,
        },
        {
            "plan": "plus",
            "price_per_30_days": 50_000,
            "purchasable": True,
            "may_reserve": True,
            "max_days": 7,
            "max_active_reservations": 5,
            "queue_priority": "normal",
        },
        {
            "plan": "premium",
            "price_per_30_days": 200_000,
            "purchasable": True,
            "may_reserve": True,
            "max_days": 14,
            "max_active_reservations": 10,
            "queue_priority": "first",
        },
    ]


def test_buying_a_membership_answers_201_with_the_membership_and_the_money():
    customer = CustomerFactory(balance=250_000)
    response = client_for(customer).post(
        MEMBERSHIPS, {"plan": "premium", "months": 1}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["membership"]["plan"] == "premium"
    assert body["membership"]["price_paid"] == 200_000
    assert (body["charged"], body["refunded"], body["balance"]) == (200_000, 0, 50_000)
    assert balance_of(customer) == 50_000


def test_buying_the_plan_you_have_extends_it():
    customer = CustomerFactory(balance=100_000)
    client = client_for(customer)
    first = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json").json()
    second = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json").json()
    assert second["membership"]["id"] == first["membership"]["id"]
    assert Membership.objects.get().ends_at - Membership.objects.get().starts_at == timedelta(
        days=60
    )


def test_switching_plans_through_the_api_reports_the_refund():
    customer = CustomerFactory(balance=200_000)
    now = timezone.now()
    MembershipFactory(
        customer=customer,
        plan="plus",
        starts_at=now - timedelta(days=10),
        ends_at=now + timedelta(days=20, hours=1),
        price_paid=50_000,
    )
    body = (
        client_for(customer)
        .post(MEMBERSHIPS, {"plan": "premium", "months": 1}, format="json")
        .json()
    )
    assert body["refunded"] == 50_000 * 20 // 30
    assert body["balance"] == 200_000 + 50_000 * 20 // 30 - 200_000


def test_a_short_wallet_answers_402_with_the_charge_url_in_body_and_location():
    customer = CustomerFactory(balance=30_000)
    response = client_for(customer).post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")
    assert response.status_code == 402
    assert response.json() == {
        "code": "insufficient_funds",
        "detail": "The wallet balance does not cover this payment.",
        "required_amount": 50_000,
        "balance": 30_000,
        "missing_amount": 20_000,
        "charge_url": "/api/wallet/charge/?amount=20000",
    }
    assert response["Location"] == "/api/wallet/charge/?amount=20000"
    assert not Membership.objects.exists()
    assert balance_of(customer) == 30_000


def test_following_the_402_location_then_charging_lets_the_purchase_through():
    customer = CustomerFactory(balance=30_000)
    client = client_for(customer)
    location = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")["Location"]
    form = client.get(location).json()
    assert form["amount"] == 20_000
    assert (
        client.post("/api/wallet/charge/", {"amount": form["amount"]}, format="json").status_code
        == 201
    )
    response = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")
    assert response.status_code == 201
    assert balance_of(customer) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"plan": "plus", "months": 0}, "months"),
        ({"plan": "plus", "months": 13}, "months"),
        ({"plan": "plus", "months": "1"}, "months"),
        ({"plan": "plus", "months": 1.5}, "months"),
        ({"plan": "plus", "months": True}, "months"),
        ({"plan": "plus"}, "months"),
        ({"plan": "free", "months": 1}, "plan"),
        ({"plan": "gold", "months": 1}, "plan"),
        ({"months": 1}, "plan"),
    ],
)
def test_bad_purchase_input_is_400_naming_the_field_and_changes_nothing(payload, field):
    customer = CustomerFactory(balance=1_000_000)
    response = client_for(customer).post(MEMBERSHIPS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert balance_of(customer) == 1_000_000
    assert not Membership.objects.exists()


def test_current_membership_of_a_new_customer_is_free():
    body = client_for(CustomerFactory()).get("/api/memberships/current/").json()
    assert body["plan"] == "free"
    assert body["membership"] is None
    assert body["rules"]["may_reserve"] is False


def test_current_membership_shows_the_plan_its_end_and_its_rules():
    customer = CustomerFactory(balance=50_000)
    membership = membership_purchase(customer_id=customer.pk, plan="plus", months=1).membership
    response = client_for(customer).get("/api/memberships/current/")
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == "plus"
    assert body["membership"]["id"] == membership.pk
    assert body["rules"]["max_days"] == 7


def test_an_ended_membership_is_no_longer_current():
    customer = CustomerFactory()
    now = timezone.now()
    MembershipFactory(
        customer=customer, starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=10)
    )
    assert client_for(customer).get("/api/memberships/current/").json()["plan"] == "free"
