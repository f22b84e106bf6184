"""The 100% discount cannot be bought with money that is refunded later, and a switch to a plan
whose limits the member's loans break is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Plan
from accounts.tests.factories import CustomerFactory, member
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind, WalletTransaction
from purchasing.services import membership_purchase, wallet_debit
from purchasing.tests.factories import balance_of, fund, ledger_sum
from reservations.errors import InvalidDuration
from reservations.models import QueueEntry, QueueStatus, Reservation
from reservations.pricing import PRICE_PER_DAY, REASON_BIG_SPENDER
from reservations.services import reservation_create, reservation_renew, reservation_return
from reservations.tests.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db

MEMBERSHIPS = "/api/memberships/"
RESERVATIONS = "/api/reservations/"


def client_for(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def test_the_bought_discount_replay_costs_at_least_the_loans_at_full_price():
    """Charge 420,000, buy premium for 2 months, take six free 14-day loans, switch to plus:
    refused while the loans are held; once they are returned the refund repays their discount,
    so the member's net cost is at least those loans at full price plus the plus plan."""
    customer = CustomerFactory()
    client = client_for(customer)
    assert client.post("/api/wallet/charge/", {"amount": 420_000}, format="json").status_code == 201
    bought = client.post(MEMBERSHIPS, {"plan": "premium", "months": 2}, format="json")
    assert bought.status_code == 201

    loans = []
    for book in BookFactory.create_batch(6):
        response = client.post(RESERVATIONS, {"book": book.pk, "days": 14}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["price"] == 0
        loans.append(response.json()["id"])
    assert balance_of(customer) == 20_000

    refused = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "plan_limits_exceeded",
        "detail": refused.json()["detail"],
        "plan": "plus",
        "active_reservations": 6,
        "max_reservations": 5,
        "longest_active_days": 14,
        "max_days": 7,
    }
    assert balance_of(customer) == 20_000
    assert Membership.objects.get(customer=customer).plan == Plan.PREMIUM

    for loan in loans:
        assert client.delete(f"{RESERVATIONS}{loan}/").status_code in (200, 204)
    switched = client.post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")
    assert switched.status_code == 201, switched.json()
    body = switched.json()
    loans_at_full_price = 6 * 14 * PRICE_PER_DAY
    assert body["refunded"] == 400_000 * 59 // 60
    assert body["discounts_repaid"] == loans_at_full_price

    net_cost = 420_000 - balance_of(customer)
    assert net_cost >= loans_at_full_price + 50_000
    assert net_cost == 400_000 - body["refunded"] + loans_at_full_price + 50_000
    assert ledger_sum(customer) == balance_of(customer)
    repaid_rows = WalletTransaction.objects.filter(
        wallet__customer=customer,
        kind=TransactionKind.RESERVATION_FEE,
        reference__endswith=":discount_repaid",
    )
    assert sorted(row.amount for row in repaid_rows) == [-14_000] * 6
    assert set(Reservation.objects.values_list("price", "discount_percent")) == {(14_000, 0)}


def test_quote_and_reserve_agree_on_the_discount_after_a_refund():
    customer = CustomerFactory()
    fund(customer, 500_000)
    client = client_for(customer)
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=2)
    book, other = BookFactory(total_units=1), BookFactory(total_units=1)
    free = client.post("/api/reservations/quote/", {"book": book.pk, "days": 5}, format="json")
    assert free.json()["discount_percent"] == 100

    reservation_return(
        customer=customer,
        reservation_id=reservation_create(
            customer=customer, book_id=other.pk, days=3
        ).reservation.pk,
    )
    membership_purchase(customer_id=customer.pk, plan=Plan.PLUS, months=1)

    quote = client.post("/api/reservations/quote/", {"book": book.pk, "days": 5}, format="json")
    reserved = client.post(RESERVATIONS, {"book": book.pk, "days": 5}, format="json").json()
    assert quote.json()["discount_percent"] == reserved["discount_percent"] == 0
    assert quote.json()["price"] == reserved["price"] == 5 * PRICE_PER_DAY


def test_a_member_over_the_threshold_without_the_refunded_money_keeps_the_discount():
    customer = CustomerFactory()
    fund(customer, 800_000)
    wallet_debit(customer_id=customer.pk, amount=350_000, kind=TransactionKind.RESERVATION_FEE)
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=2)
    book = BookFactory(total_units=1)
    loan = reservation_create(customer=customer, book_id=book.pk, days=14).reservation
    assert loan.discount_reason == REASON_BIG_SPENDER
    reservation_return(customer=customer, reservation_id=loan.pk)

    switched = membership_purchase(customer_id=customer.pk, plan=Plan.PLUS, months=1)

    assert switched.refunded > 0
    assert switched.discounts_repaid == 0
    loan.refresh_from_db()
    assert (loan.price, loan.discount_percent) == (0, 100)


def test_the_repaid_discounts_never_exceed_the_refund():
    customer = CustomerFactory()
    fund(customer, 460_000)
    start = timezone.now()
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=2, at=start)
    for book in BookFactory.create_batch(10):
        loan = reservation_create(
            customer=customer, book_id=book.pk, days=14, now=start + timedelta(minutes=1)
        ).reservation
        assert loan.price == 0
    before = balance_of(customer)

    switched = membership_purchase(
        customer_id=customer.pk, plan=Plan.PLUS, months=1, at=start + timedelta(days=45)
    )

    assert switched.refunded == 400_000 * 15 // 60 < 10 * 14 * PRICE_PER_DAY
    assert switched.discounts_repaid == switched.refunded
    assert balance_of(customer) == before - 50_000
    assert ledger_sum(customer) == balance_of(customer)


def test_one_loan_longer_than_the_new_plan_allows_refuses_the_switch():
    customer = CustomerFactory()
    fund(customer, 300_000)
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=1)
    reservation_create(customer=customer, book_id=BookFactory(total_units=1).pk, days=8)
    before = balance_of(customer)

    response = client_for(customer).post(MEMBERSHIPS, {"plan": "plus", "months": 1}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert (body["active_reservations"], body["longest_active_days"]) == (1, 8)
    assert balance_of(customer) == before


def test_a_reserve_dated_before_a_switch_that_took_the_wallet_first_uses_the_new_plan():
    """A reserve reads the plan before it waits for the wallet lock; a switch holding that lock
    commits meanwhile. Dated before the switch, the reserve must still apply the new limits."""
    customer = CustomerFactory()
    fund(customer, 300_000)
    now = timezone.now()
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=1, at=now)
    membership_purchase(
        customer_id=customer.pk, plan=Plan.PLUS, months=1, at=now + timedelta(minutes=1)
    )

    with pytest.raises(InvalidDuration):
        reservation_create(
            customer=customer,
            book_id=BookFactory(total_units=1).pk,
            days=14,
            now=now + timedelta(seconds=30),
        )
    assert not Reservation.objects.exists()


def test_a_renewal_dated_before_a_switch_that_took_the_wallet_first_uses_the_new_plan():
    customer = CustomerFactory()
    fund(customer, 300_000)
    now = timezone.now()
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=1, at=now)
    loan = reservation_create(
        customer=customer,
        book_id=BookFactory(total_units=1).pk,
        days=7,
        now=now + timedelta(seconds=10),
    ).reservation
    membership_purchase(
        customer_id=customer.pk, plan=Plan.PLUS, months=1, at=now + timedelta(minutes=1)
    )

    with pytest.raises(InvalidDuration):
        reservation_renew(
            customer=customer,
            reservation_id=loan.pk,
            days=14,
            now=now + timedelta(seconds=30),
        )
    loan.refresh_from_db()
    assert loan.days == 7


def test_a_grant_dated_before_a_switch_that_took_the_wallet_first_uses_the_new_plan():
    book = BookFactory(total_units=1)
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    waiter = CustomerFactory()
    fund(waiter, 300_000)
    now = timezone.now()
    membership_purchase(customer_id=waiter.pk, plan=Plan.PREMIUM, months=1, at=now)
    entry = reservation_create(
        customer=waiter, book_id=book.pk, days=14, now=now + timedelta(seconds=10)
    ).queue_entry
    membership_purchase(
        customer_id=waiter.pk, plan=Plan.PLUS, months=1, at=now + timedelta(minutes=1)
    )

    reservation_return(customer=holder, reservation_id=held.pk, now=now + timedelta(seconds=30))

    entry = QueueEntry.objects.get(pk=entry.pk)
    assert (entry.status, entry.drop_reason) == (QueueStatus.DROPPED, "invalid_duration")
    assert not Reservation.objects.filter(customer=waiter).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_switch_and_a_reserve_at_once_never_leave_more_loans_than_the_plan_allows():
    for _ in range(4):
        customer = CustomerFactory()
        fund(customer, 300_000)
        membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=1)
        for book in BookFactory.create_batch(5):
            reservation_create(customer=customer, book_id=book.pk, days=7)
        sixth = BookFactory(total_units=1)

        reserved, switched = run_at_once(
            [
                lambda c=customer, b=sixth: reservation_create(customer=c, book_id=b.pk, days=7),
                lambda c=customer: membership_purchase(customer_id=c.pk, plan=Plan.PLUS, months=1),
            ]
        )

        assert isinstance(reserved, Exception) != isinstance(switched, Exception), (
            reserved,
            switched,
        )
        plan = Membership.objects.filter(customer=customer).latest("starts_at").plan
        active = Reservation.objects.filter(customer=customer, status="active").count()
        assert active <= (5 if plan == Plan.PLUS else 10)
