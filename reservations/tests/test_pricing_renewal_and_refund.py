"""Every pricing boundary of the renewal and of the discount repaid on a refund, through the paths
that take or repay the money: `reservation_renew` and `PUT /api/reservations/{id}/`, and a plan
switch's refund by `membership_purchase` and `POST /api/memberships/`."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Plan
from accounts.tests.factories import CustomerFactory, member
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind, WalletTransaction
from purchasing.services import membership_purchase, wallet_credit
from purchasing.tests.factories import fund
from reservations import pricing
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_renew
from reservations.tests.factories import ReservationFactory
from reservations.tests.test_pricing import past_reservations, read_a_past_book_again, spend

pytestmark = pytest.mark.django_db

HELD_DAYS, HELD_PRICE = 2, 2_000


def client_for(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


# --- the renewal ------------------------------------------------------------------------------


@pytest.fixture(params=["service", "api"])
def renewal_price(request):
    """What renewing a held 2-day reservation (started now, so its book is one of the distinct
    books) to `days` charges, by the service or the API; its `reservation_fee` ledger row must
    carry that price."""

    def renew(customer, days=5) -> int:
        held = ReservationFactory(customer=customer, days=HELD_DAYS, price=HELD_PRICE)
        if request.param == "service":
            reservation_renew(customer=customer, reservation_id=held.pk, days=days)
        else:
            response = client_for(customer).put(f"/api/reservations/{held.pk}/", {"days": days})
            assert response.status_code == 200, response.json()
        held.refresh_from_db()
        assert held.days == days
        extra = held.price - HELD_PRICE
        fees = WalletTransaction.objects.filter(
            wallet__customer=customer,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{held.pk}",
        )
        assert list(fees.values_list("amount", flat=True)) == ([-extra] if extra else [])
        return extra

    return renew


def test_a_renewal_charges_1000_toman_for_each_extra_day(renewal_price):
    assert renewal_price(member(), days=6) == 4 * pricing.PRICE_PER_DAY


def test_a_renewal_after_paying_exactly_300000_in_60_days_is_not_free(renewal_price):
    customer = member()
    spend(customer, 300_000)
    assert renewal_price(customer) == 3_000


def test_a_renewal_after_paying_300001_in_60_days_is_free(renewal_price):
    customer = member(balance=0)
    spend(customer, 300_001)
    assert renewal_price(customer) == 0


def test_money_spent_more_than_60_days_before_a_renewal_does_not_count(renewal_price):
    customer = member()
    spend(customer, 300_001, ago=timedelta(days=60, seconds=1))
    assert renewal_price(customer) == 3_000


def test_money_spent_on_the_60th_day_before_a_renewal_still_counts(renewal_price):
    customer = member()
    spend(customer, 300_001, ago=timedelta(days=60) - timedelta(seconds=5))
    assert renewal_price(customer) == 0


def test_refunds_reduce_what_was_paid_before_a_renewal(renewal_price):
    customer = member()
    spend(customer, 310_000)
    wallet_credit(customer_id=customer.pk, amount=10_000, kind=TransactionKind.REFUND)
    assert renewal_price(customer) == 3_000


def test_wallet_top_ups_are_not_payments_for_a_renewal(renewal_price):
    assert renewal_price(member(balance=500_000)) == 3_000


def test_a_renewal_with_three_distinct_books_in_30_days_gets_no_discount(renewal_price):
    customer = member()
    past_reservations(customer, 2)  # and the held book
    assert renewal_price(customer) == 3_000


def test_a_renewal_with_four_distinct_books_in_30_days_gets_30_percent(renewal_price):
    customer = member()
    past_reservations(customer, 3)  # and the held book
    assert renewal_price(customer, days=5) == 2_100


def test_a_book_read_twice_counts_once_for_a_renewal(renewal_price):
    customer = member()
    past_reservations(customer, 2)
    read_a_past_book_again(customer)
    assert renewal_price(customer) == 3_000


def test_a_book_started_more_than_30_days_before_a_renewal_does_not_count(renewal_price):
    customer = member()
    past_reservations(customer, 2)
    past_reservations(customer, 1, started_ago=timedelta(days=30, seconds=1))
    assert renewal_price(customer) == 3_000


def test_a_book_started_on_the_30th_day_before_a_renewal_counts(renewal_price):
    customer = member()
    past_reservations(customer, 2)
    past_reservations(customer, 1, started_ago=timedelta(days=30) - timedelta(seconds=5))
    assert renewal_price(customer) == 2_100


def test_the_best_single_discount_applies_to_a_renewal(renewal_price):
    customer = member()
    past_reservations(customer, 5)
    spend(customer, 300_001)
    assert renewal_price(customer) == 0


def test_one_extra_day_at_30_percent_rounds_down_to_700(renewal_price):
    customer = member()
    past_reservations(customer, 3)
    assert renewal_price(customer, days=HELD_DAYS + 1) == 700


# --- the discount repaid on a plan switch's refund --------------------------------------------


@pytest.fixture(params=["service", "api"])
def switch_to_plus(request):
    """Switch a premium member to plus now, by the service or the API: (refunded, repaid)."""

    def switch(customer) -> tuple[int, int]:
        if request.param == "service":
            done = membership_purchase(customer_id=customer.pk, plan=Plan.PLUS, months=1)
            return done.refunded, done.discounts_repaid
        response = client_for(customer).post(
            "/api/memberships/", {"plan": "plus", "months": 1}, format="json"
        )
        assert response.status_code == 201, response.json()
        return response.json()["refunded"], response.json()["discounts_repaid"]

    return switch


# Premium for 60 days from about 30 days ago: switching now refunds 30 of its 60 days.
PREMIUM_PRICE, REFUNDED = 400_000, 200_000


def premium_since_a_month(*, extra_paid: int = 0):
    """A member who bought two months of premium about 30 days ago and paid `extra_paid` more
    then; every ledger row is dated at the purchase. Returns (customer, purchase moment)."""
    start = timezone.now() - timedelta(days=30) + timedelta(hours=1)
    customer = CustomerFactory()
    fund(customer, 1_000_000)
    membership_purchase(customer_id=customer.pk, plan=Plan.PREMIUM, months=2, at=start)
    if extra_paid:
        spend(customer, extra_paid)
    WalletTransaction.objects.filter(wallet__customer=customer).update(created_at=start)
    return customer, start


def free_loan(customer, *, at, days: int = 3) -> Reservation:
    loan = reservation_create(
        customer=customer, book_id=BookFactory().pk, days=days, now=at
    ).reservation
    assert (loan.price, loan.discount_reason) == (0, pricing.REASON_BIG_SPENDER)
    return loan


def paid_at(customer, amount: int, moment) -> None:
    spend(customer, amount)
    WalletTransaction.objects.filter(wallet__customer=customer, amount=-amount).update(
        created_at=moment
    )


def test_a_free_loan_still_over_300000_without_the_refund_keeps_its_discount(switch_to_plus):
    customer, start = premium_since_a_month(extra_paid=100_001)
    loan = free_loan(customer, at=start + timedelta(minutes=1))
    assert switch_to_plus(customer) == (REFUNDED, 0)
    loan.refresh_from_db()
    assert (loan.price, loan.discount_percent) == (0, 100)


def test_a_free_loan_left_at_exactly_300000_without_the_refund_is_repaid(switch_to_plus):
    customer, start = premium_since_a_month(extra_paid=100_000)
    loan = free_loan(customer, at=start + timedelta(minutes=1))
    assert switch_to_plus(customer) == (REFUNDED, 3 * pricing.PRICE_PER_DAY)
    loan.refresh_from_db()
    assert (loan.price, loan.discount_percent, loan.discount_reason) == (3_000, 0, "")
    repaid = WalletTransaction.objects.get(reference=f"reservation:{loan.pk}:discount_repaid")
    assert (repaid.kind, repaid.amount) == (TransactionKind.RESERVATION_FEE, -3_000)


def test_a_payment_on_the_60th_day_before_the_loan_still_counts_for_it(switch_to_plus):
    customer, start = premium_since_a_month()
    moment = start + timedelta(minutes=1)
    paid_at(customer, 100_001, moment - pricing.PAID_WINDOW)
    free_loan(customer, at=moment)
    assert switch_to_plus(customer) == (REFUNDED, 0)


def test_a_payment_more_than_60_days_before_the_loan_does_not_count_for_it(switch_to_plus):
    customer, start = premium_since_a_month()
    moment = start + timedelta(minutes=1)
    paid_at(customer, 100_001, moment - pricing.PAID_WINDOW - timedelta(seconds=1))
    free_loan(customer, at=moment)
    assert switch_to_plus(customer) == (REFUNDED, 3_000)


def test_a_payment_at_the_loans_own_moment_does_not_count_for_it(switch_to_plus):
    customer, start = premium_since_a_month()
    moment = start + timedelta(minutes=1)
    paid_at(customer, 100_001, moment)
    free_loan(customer, at=moment)
    assert switch_to_plus(customer) == (REFUNDED, 3_000)


def test_a_loan_started_when_the_refunded_plan_began_is_judged(switch_to_plus):
    customer, start = premium_since_a_month()
    free_loan(customer, at=start)
    assert switch_to_plus(customer) == (REFUNDED, 3_000)


def test_the_free_days_of_a_renewal_are_repaid_with_the_loan(switch_to_plus):
    customer, start = premium_since_a_month()
    loan = free_loan(customer, at=start + timedelta(minutes=1))
    reservation_renew(
        customer=customer, reservation_id=loan.pk, days=7, now=start + timedelta(minutes=2)
    )
    assert switch_to_plus(customer) == (REFUNDED, 7 * pricing.PRICE_PER_DAY)
    loan.refresh_from_db()
    assert (loan.price, loan.discount_percent) == (7_000, 0)
