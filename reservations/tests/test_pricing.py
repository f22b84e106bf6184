from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan
from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind, WalletTransaction
from purchasing.services import wallet_credit, wallet_debit
from purchasing.tests.factories import fund
from reservations import pricing
from reservations.models import Reservation
from reservations.queue import waiting_in_priority_order
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db


def spend(customer, amount: int, *, ago: timedelta = timedelta(0)):
    fund(customer, amount)
    row = wallet_debit(customer_id=customer.pk, amount=amount, kind=TransactionKind.MEMBERSHIP_FEE)
    if ago:
        WalletTransaction.objects.filter(pk=row.pk).update(created_at=timezone.now() - ago)


def past_reservations(customer, books: int, *, started_ago: timedelta = timedelta(days=1)):
    for _ in range(books):
        start = timezone.now() - started_ago
        Reservation.objects.create(
            customer=customer,
            book=BookFactory(total_units=1),
            days=1,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            price=1_000,
            status="returned",
            ended_at=start + timedelta(hours=1),
        )


@pytest.fixture(params=["quote", "reserve"])
def quote(request):
    """The price asked of the quote, and of the reserve that charges the wallet: its
    `reservation_fee` ledger row must carry the price it recorded."""

    def priced(customer, days=3) -> pricing.Quote:
        if request.param == "quote":
            return pricing.quote_for(customer_id=customer.pk, days=days, at=timezone.now())
        reservation = reservation_create(
            customer=customer, book_id=BookFactory(total_units=1).pk, days=days
        ).reservation
        fees = WalletTransaction.objects.filter(
            wallet__customer=customer,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{reservation.pk}",
        )
        assert list(fees.values_list("amount", flat=True)) == (
            [-reservation.price] if reservation.price else []
        )
        return pricing.Quote(
            days=reservation.days,
            base_price=reservation.days * pricing.PRICE_PER_DAY,
            discount_percent=reservation.discount_percent,
            discount_reason=reservation.discount_reason,
            price=reservation.price,
        )

    return priced


def test_the_base_price_is_1000_toman_a_day(quote):
    q = quote(member(), days=6)
    assert (q.base_price, q.price, q.discount_percent, q.discount_reason) == (6_000, 6_000, 0, "")


def test_paying_exactly_300000_in_60_days_gives_no_discount(quote):
    customer = member()
    spend(customer, 300_000)
    assert quote(customer).discount_percent == 0


def test_paying_300001_in_60_days_makes_reserving_free(quote):
    customer = member()
    spend(customer, 300_001)
    q = quote(customer)
    assert (q.discount_percent, q.price, q.discount_reason) == (100, 0, pricing.REASON_BIG_SPENDER)


def test_money_spent_more_than_60_days_ago_does_not_count(quote):
    customer = member()
    spend(customer, 300_001, ago=timedelta(days=60, seconds=1))
    assert quote(customer).discount_percent == 0


def test_money_spent_on_the_60th_day_back_still_counts(quote):
    customer = member()
    spend(customer, 300_001, ago=timedelta(days=60) - timedelta(seconds=5))
    assert quote(customer).discount_percent == 100


def test_refunds_reduce_what_was_paid(quote):
    customer = member()
    spend(customer, 310_000)
    wallet_credit(customer_id=customer.pk, amount=10_000, kind=TransactionKind.REFUND)
    assert quote(customer).discount_percent == 0


def test_wallet_top_ups_are_not_payments(quote):
    customer = member(balance=500_000)
    assert quote(customer).discount_percent == 0


def test_three_distinct_books_in_30_days_give_no_discount(quote):
    customer = member()
    past_reservations(customer, 3)
    assert quote(customer).discount_percent == 0


def test_four_distinct_books_in_30_days_give_30_percent(quote):
    customer = member()
    past_reservations(customer, 4)
    q = quote(customer, days=3)
    assert (q.discount_percent, q.price, q.discount_reason) == (
        30,
        2_100,
        pricing.REASON_LOYAL_READER,
    )


def read_a_past_book_again(customer) -> None:
    """A second reservation, five hours ago, of a book the customer reserved already."""
    book = Reservation.objects.filter(customer=customer).first().book
    start = timezone.now() - timedelta(hours=5)
    Reservation.objects.create(
        customer=customer,
        book=book,
        days=1,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        price=1_000,
        status="returned",
        ended_at=start + timedelta(hours=1),
    )


def test_the_same_book_twice_counts_once(quote):
    customer = member()
    past_reservations(customer, 3)
    read_a_past_book_again(customer)
    assert quote(customer).discount_percent == 0


def test_a_reservation_started_more_than_30_days_ago_does_not_count(quote):
    customer = member()
    past_reservations(customer, 3)
    past_reservations(customer, 1, started_ago=timedelta(days=30, seconds=1))
    assert quote(customer).discount_percent == 0


def test_a_reservation_started_on_the_30th_day_back_counts(quote):
    customer = member()
    past_reservations(customer, 3)
    past_reservations(customer, 1, started_ago=timedelta(days=30) - timedelta(seconds=5))
    assert quote(customer).discount_percent == 30


def test_the_best_single_discount_applies(quote):
    customer = member()
    past_reservations(customer, 5)
    spend(customer, 300_001)
    assert quote(customer).discount_percent == 100


def test_odd_prices_round_down_to_whole_toman():
    assert pricing.price_from(days=1, amount_paid=0, distinct_books=4).price == 700


def test_a_free_reservation_writes_no_ledger_row_and_records_the_discount():
    customer = member(balance=0)
    spend(customer, 300_001)
    before = WalletTransaction.objects.count()

    r = reservation_create(
        customer=customer, book_id=BookFactory(total_units=1).pk, days=3
    ).reservation

    assert (r.price, r.discount_percent, r.discount_reason) == (0, 100, pricing.REASON_BIG_SPENDER)
    assert WalletTransaction.objects.count() == before


def test_a_discounted_reservation_stores_price_and_reason():
    customer = member(Plan.PLUS)
    past_reservations(customer, 4)
    r = reservation_create(
        customer=customer, book_id=BookFactory(total_units=1).pk, days=5
    ).reservation
    assert (r.price, r.discount_percent) == (3_500, 30)


def test_the_walk_prices_candidates_exactly_like_a_quote():
    customer = member()
    past_reservations(customer, 4)
    spend(customer, 200_000)
    spend(customer, 100_001, ago=timedelta(days=59))
    book = BookFactory(total_units=1)
    reservation_create(customer=member(), book_id=book.pk, days=1)
    reservation_create(customer=customer, book_id=book.pk, days=4)

    at = timezone.now()
    entry = waiting_in_priority_order(book_id=book.pk, at=at).annotate(
        **pricing.pricing_annotations(at=at)
    )[0]

    assert pricing.quote_from_annotations(entry, days=4) == pricing.quote_for(
        customer_id=customer.pk, days=4, at=at
    )
    assert pricing.quote_from_annotations(entry, days=4).discount_percent == 100
