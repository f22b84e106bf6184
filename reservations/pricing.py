"""Reservation prices: 1,000 toman a day, less the single best discount as of the moment of payment.

- 100% when the customer paid (wallet debits less refunds) more than 300,000 in the previous 60 days;
- else 30% when reservations of 4 or more distinct books started in the previous 30 days.
All arithmetic is on integers.

The 100% discount cannot be bought with money that is taken back: a refund lowers the paid sum by
what it returns, and a plan switch's refund first repays every 100% discount taken since the
refunded plan began that would not have been free had the refund come before it
(`discounts_owed_on_refund`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer
from purchasing.models import TransactionKind, WalletTransaction
from reservations.models import Reservation

PRICE_PER_DAY = 1_000
FREE_AFTER_PAID_MORE_THAN = 300_000
PAID_WINDOW = timedelta(days=60)
LOYALTY_MIN_DISTINCT_BOOKS = 4
LOYALTY_WINDOW = timedelta(days=30)
LOYALTY_PERCENT = 30

REASON_NONE = ""
REASON_BIG_SPENDER = "paid_over_300000_in_60_days"
REASON_LOYAL_READER = "4_or_more_books_in_30_days"

# The ledger kinds `purchasing.selectors.amount_paid_since` sums (money spent, never top-ups).
PAID_KINDS = [
    TransactionKind.RESERVATION_FEE,
    TransactionKind.MEMBERSHIP_FEE,
    TransactionKind.REFUND,
]


@dataclass(frozen=True)
class Quote:
    days: int
    base_price: int
    discount_percent: int
    discount_reason: str
    price: int


def price_from(*, days: int, amount_paid: int, distinct_books: int) -> Quote:
    """The pure rule, given the two figures it depends on."""
    base = days * PRICE_PER_DAY
    if amount_paid > FREE_AFTER_PAID_MORE_THAN:
        percent, reason = 100, REASON_BIG_SPENDER
    elif distinct_books >= LOYALTY_MIN_DISTINCT_BOOKS:
        percent, reason = LOYALTY_PERCENT, REASON_LOYAL_READER
    else:
        percent, reason = 0, REASON_NONE
    return Quote(
        days=days,
        base_price=base,
        discount_percent=percent,
        discount_reason=reason,
        price=base * (100 - percent) // 100,
    )


def priced_customer(*, customer_id: int, at: datetime, **annotations) -> Customer:
    """The customer with both figures of the price as of `at` (`pricing_annotations`) and any
    further `annotations`, in one query: what the quote and the renewal price by (the reserve and
    the grant read the same figures in SQL, with `queue.reserve_figures`)."""
    return Customer.objects.annotate(
        **pricing_annotations(at=at, customer_ref="pk"), **annotations
    ).get(pk=customer_id)


def quote_for(*, customer_id: int, days: int, at: datetime) -> Quote:
    """The price the customer would pay for `days` if the money were taken at `at` (one query)."""
    return quote_from_annotations(priced_customer(customer_id=customer_id, at=at), days=days)


def pricing_annotations(*, at: datetime, customer_ref: str = "customer_id") -> dict:
    """The two figures of the price as subqueries, to price one customer or many queue candidates
    in one query: `distinct_books_30d`, and `ledger_sum_60d`, the signed ledger sum that
    `purchasing.selectors.amount_paid_since` negates (see `quote_from_annotations`).
    """
    ledger_sum = (
        WalletTransaction.objects.filter(
            wallet__customer_id=OuterRef(customer_ref),
            created_at__gte=at - PAID_WINDOW,
            kind__in=PAID_KINDS,
        )
        .order_by()
        .values("wallet__customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    books = (
        Reservation.objects.filter(
            customer_id=OuterRef(customer_ref),
            starts_at__gte=at - LOYALTY_WINDOW,
            starts_at__lte=at,
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("book_id", distinct=True))
        .values("n")
    )
    return {
        "ledger_sum_60d": Coalesce(Subquery(ledger_sum), Value(0), output_field=IntegerField()),
        "distinct_books_30d": Coalesce(Subquery(books), Value(0), output_field=IntegerField()),
    }


def quote_from_annotations(obj, *, days: int) -> Quote:
    return price_from(
        days=days,
        amount_paid=max(0, -obj.ledger_sum_60d),
        distinct_books=obj.distinct_books_30d,
    )


@dataclass(frozen=True)
class DiscountOwed:
    reservation: Reservation
    amount: int


def discounts_owed_on_refund(
    *, customer_id: int, since: datetime, refunded: int, at: datetime
) -> list[DiscountOwed]:
    """The 100% discounts a refund of `refunded` at `at` takes back, oldest first.

    Each reservation started in [`since`, `at`] with the 100% discount is judged again as if the
    refund had been made before it: its paid sum then, less `refunded`, would it still have been
    over the threshold? If not, the money that made it free is being returned, and its whole
    discount (days at the full price less what it cost, renewals included) is owed. The total
    never exceeds `refunded`: the refund pays it, and the member is never asked for more.
    """
    free = list(
        Reservation.objects.filter(
            customer_id=customer_id,
            starts_at__gte=since,
            starts_at__lte=at,
            discount_reason=REASON_BIG_SPENDER,
        ).order_by("starts_at", "id")
    )
    if not free:
        return []
    ledger = list(
        WalletTransaction.objects.filter(
            wallet__customer_id=customer_id,
            created_at__gte=free[0].starts_at - PAID_WINDOW,
            created_at__lte=at,
            kind__in=PAID_KINDS,
        ).values_list("created_at", "amount")
    )
    owed, left = [], refunded
    for reservation in free:
        moment = reservation.starts_at
        paid_then = -sum(a for t, a in ledger if moment - PAID_WINDOW <= t < moment)
        discount = reservation.days * PRICE_PER_DAY - reservation.price
        if paid_then - refunded > FREE_AFTER_PAID_MORE_THAN or discount <= 0 or not left:
            continue
        owed.append(DiscountOwed(reservation=reservation, amount=min(discount, left)))
        left -= owed[-1].amount
    return owed
