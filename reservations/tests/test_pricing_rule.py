"""The pricing figures (the 60-day paid sum, the 30-day distinct books) and the reserve's limit
count: their Python, ORM and SQL forms agree on random ledgers, reservations and memberships, at
random moments and at every moment a window takes a row in or lets it go."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer, Membership, Plan
from accounts.plans import current_membership_among, plan_of
from accounts.tests.factories import CustomerFactory
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind, Wallet, WalletTransaction
from purchasing.selectors import amount_paid, amount_paid_since
from reservations import pricing
from reservations.models import Reservation, ReservationStatus
from reservations.rules import counts_toward_limit
from reservations.sql import reserve_figures

T0 = datetime(2030, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
CUSTOMERS, BOOKS = 2, 5
# The sign each kind is written with; a repaid discount is a `reservation_fee` row.
SIGN = {
    TransactionKind.CHARGE.value: 1,
    TransactionKind.REFUND.value: 1,
    TransactionKind.RESERVATION_FEE.value: -1,
    TransactionKind.MEMBERSHIP_FEE.value: -1,
}

ledger_rows = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from(list(SIGN)),
        # Around the threshold, so a row in or out of the window moves the discount.
        st.sampled_from([1, 1_000, 14_000, 100_000, 150_000, 299_999, 300_000, 300_001]),
        st.integers(-70, 0),  # written, days after T0
        st.booleans(),  # a repaid discount (its reference), for the fee rows
    ),
    max_size=8,
)
reservation_rows = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.integers(0, BOOKS - 1),
        st.sampled_from(ReservationStatus.values),
        st.integers(-35, 2),  # starts, days after T0
        st.integers(1, 5),  # lasts, days
    ),
    max_size=10,
)
membership_rows = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from([Plan.PLUS.value, Plan.PREMIUM.value]),
        st.integers(-3, 3),  # starts, days after T0
        st.integers(1, 5),  # lasts, days
    ),
    max_size=3,
)
moments = st.lists(st.integers(-3, 3), min_size=1, max_size=3)


def create_rows(ledger, held, memberships):
    customers = [CustomerFactory() for _ in range(CUSTOMERS)]
    books = [BookFactory() for _ in range(BOOKS)]
    wallets = {w.customer_id: w for w in Wallet.objects.filter(customer__in=customers)}
    rows = []
    for c, kind, amount, day, repaid in ledger:
        row = WalletTransaction.objects.create(
            wallet=wallets[customers[c].pk],
            kind=kind,
            amount=SIGN[kind] * amount,
            balance_after=0,
            reference="reservation:1:discount_repaid" if repaid and SIGN[kind] < 0 else "",
        )
        # Written at a random moment of its day, or exactly at its start.
        row.created_at = T0 + day * DAY + (amount % 7) * timedelta(hours=3)
        WalletTransaction.objects.filter(pk=row.pk).update(created_at=row.created_at)
        rows.append(row)
    active = set()
    reservations = []
    for c, b, status, start, length in held:
        if status == ReservationStatus.ACTIVE:
            if (c, b) in active:
                continue
            active.add((c, b))
        reservations.append(
            Reservation(
                customer=customers[c],
                book=books[b],
                days=length,
                starts_at=T0 + start * DAY,
                ends_at=T0 + (start + length) * DAY,
                price=0,
                status=status,
                ended_at=None if status == ReservationStatus.ACTIVE else T0 + start * DAY,
            )
        )
    created_memberships = Membership.objects.bulk_create(
        Membership(
            customer=customers[c],
            plan=plan,
            starts_at=T0 + start * DAY,
            ends_at=T0 + (start + length) * DAY,
            price_paid=0,
        )
        for c, plan, start, length in memberships
    )
    return customers, rows, Reservation.objects.bulk_create(reservations), created_memberships


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ledger_rows, reservation_rows, membership_rows, moments)
def test_the_python_orm_and_sql_forms_of_the_pricing_figures_agree(ledger, held, memberships, days):
    with transaction.atomic():
        customers, rows, reservations, plans = create_rows(ledger, held, memberships)
        # The random moments, and each moment a row enters or leaves a window (and just after).
        boundaries = {row.created_at + pricing.PAID_WINDOW for row in rows}
        boundaries |= {r.starts_at for r in reservations}
        boundaries |= {r.starts_at + pricing.LOYALTY_WINDOW for r in reservations}
        moments_at = {T0 + day * DAY for day in days} | boundaries
        moments_at |= {at + TICK for at in boundaries} | {at - TICK for at in boundaries}
        ids = [c.pk for c in customers]
        for at in sorted(moments_at):
            orm = {
                c.pk: c
                for c in Customer.objects.filter(pk__in=ids).annotate(
                    **pricing.pricing_annotations(at=at, customer_ref="pk")
                )
            }
            for customer in customers:
                pk = customer.pk
                mine = [r for r in reservations if r.customer_id == pk]
                python_ledger = pricing.ledger_sum(
                    [r for r in rows if r.wallet.customer_id == pk], at
                )
                python_books = pricing.distinct_books(mine, at)
                ms = [m for m in plans if m.customer_id == pk]
                switched_at = max(at, max((m.starts_at for m in ms), default=at))
                python_plan = plan_of(current_membership_among(ms, switched_at))
                python_active = sum(counts_toward_limit(r, at) for r in mine)

                sql = reserve_figures(customer_id=pk, at=at)
                assert (sql.plan, sql.active_count, sql.ledger_sum_60d, sql.distinct_books_30d) == (
                    python_plan,
                    python_active,
                    python_ledger,
                    python_books,
                ), at
                assert (orm[pk].ledger_sum_60d, orm[pk].distinct_books_30d) == (
                    python_ledger,
                    python_books,
                ), at
                paid = amount_paid_since(customer_id=pk, since=pricing.paid_since(at))
                assert paid == amount_paid(python_ledger)

                expected = pricing.price_from(
                    days=3, amount_paid=amount_paid(python_ledger), distinct_books=python_books
                )
                assert pricing.quote_from_annotations(sql, days=3) == expected
                assert pricing.quote_for(customer_id=pk, days=3, at=at) == expected
        transaction.set_rollback(True)
