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

from django.db import connection
from django.db.models import Count, Expression, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer, Membership
from accounts.plans import SqlFragment, plan_at_sql, sql_param
from purchasing.models import WalletTransaction
from purchasing.selectors import (
    PAID_KINDS,
    amount_paid,
    counts_as_paid,
    paid_ledger_sum,
)
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


# --- the two figures of the price, as of the moment of payment `at` ---------------------------


def paid_since(at: datetime) -> datetime:
    """Where the paid sum's window starts for a payment at `at`."""
    return at - PAID_WINDOW


def counts_for_loyalty(reservation: Reservation, at: datetime) -> bool:
    """A reservation whose book counts toward the loyalty discount at `at`."""
    return at - LOYALTY_WINDOW <= reservation.starts_at <= at


def loyalty_q(at: datetime) -> Q:
    """`counts_for_loyalty` for a queryset of reservations."""
    return Q(starts_at__gte=at - LOYALTY_WINDOW, starts_at__lte=at)


def distinct_books(reservations, at: datetime) -> int:
    """The loyalty figure over model objects: the distinct books of `counts_for_loyalty`."""
    return len({r.book_id for r in reservations if counts_for_loyalty(r, at)})


def ledger_sum(rows, at: datetime) -> int:
    """The paid figure over ledger rows, signed as the ORM and SQL forms return it."""
    return sum(row.amount for row in rows if counts_as_paid(row, since=paid_since(at)))


def distinct_books_expression(*, at: datetime, customer_ref: str = "customer_id") -> Expression:
    """`distinct_books` as a subquery on the customer `customer_ref` of the outer query."""
    books = (
        Reservation.objects.filter(loyalty_q(at), customer_id=OuterRef(customer_ref))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("book_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(books), Value(0), output_field=IntegerField())


def distinct_books_sql(*, customer: SqlFragment, at: datetime) -> SqlFragment:
    """`distinct_books` as a scalar subquery for a hand-written statement."""
    reservation = Reservation._meta
    book, starts_at, customer_column = (
        reservation.get_field(f).column for f in ("book", "starts_at", "customer")
    )
    customer_sql, customer_params = customer
    window_start, window_end = sql_param(at - LOYALTY_WINDOW), sql_param(at)
    return (
        f"(SELECT COUNT(DISTINCT {book}) FROM {reservation.db_table}"
        f" WHERE {customer_column} = {customer_sql}"
        f" AND {starts_at} >= {window_start[0]} AND {starts_at} <= {window_end[0]})",
        [*customer_params, *window_start[1], *window_end[1]],
    )


def pricing_annotations(*, at: datetime, customer_ref: str = "customer_id") -> dict:
    """The two figures of the price as subqueries, to price one customer or many queue candidates
    in one query: `ledger_sum_60d` (signed, see `quote_from_annotations`) and `distinct_books_30d`.
    """
    return {
        "ledger_sum_60d": paid_ledger_sum(since=paid_since(at), customer_ref=customer_ref),
        "distinct_books_30d": distinct_books_expression(at=at, customer_ref=customer_ref),
    }


def priced_customer(*, customer_id: int, at: datetime, **annotations) -> Customer:
    """The customer with both figures of the price as of `at` (`pricing_annotations`) and any
    further `annotations`, in one query: what the quote and the renewal price by."""
    return Customer.objects.annotate(
        **pricing_annotations(at=at, customer_ref="pk"), **annotations
    ).get(pk=customer_id)


def quote_for(*, customer_id: int, days: int, at: datetime) -> Quote:
    """The price the customer would pay for `days` if the money were taken at `at` (one query)."""
    return quote_from_annotations(priced_customer(customer_id=customer_id, at=at), days=days)


def quote_from_annotations(obj, *, days: int) -> Quote:
    """The price from the two figures as `pricing_annotations` or `sql.reserve_figures` read
    them."""
    return price_from(
        days=days,
        amount_paid=amount_paid(obj.ledger_sum_60d),
        distinct_books=obj.distinct_books_30d,
    )


def locked_plan_sql(*, customer_id: int, at: datetime) -> SqlFragment:
    """The customer's plan as of `at`, or as of the start of a membership bought after `at`, as
    a scalar subquery (the plan `sql.reserve_figures` reads under the wallet lock)."""
    membership = Membership._meta
    starts_at = membership.get_field("starts_at").column
    customer_column = membership.get_field("customer").column
    moment = connection.ops.adapt_datetimefield_value(at)
    plan_moment = (
        f"(SELECT CASE WHEN MAX({starts_at}) > %s THEN MAX({starts_at}) ELSE %s END"
        f" FROM {membership.db_table} WHERE {customer_column} = %s)",
        [moment, moment, customer_id],
    )
    return plan_at_sql(customer=sql_param(customer_id), moment=plan_moment)


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
