"""A stateful property test: random reserves, returns, leaves, expiries, plan changes and charges
against the real services, checking the queue's invariants after every step."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.models import Membership, Plan
from accounts.plans import rules_for
from accounts.tests.factories import CustomerFactory, give_plan
from catalog.models import Book
from catalog.tests.factories import BookFactory
from core.errors import DomainError
from purchasing.models import TransactionKind, Wallet
from purchasing.services import wallet_credit, wallet_debit
from purchasing.tests.factories import fund
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import (
    queue_leave,
    reservation_create,
    reservation_return,
    settle_due_reservations,
)

CUSTOMERS = 5
BOOKS = 2


def plan_now(customer) -> str:
    """Independent of the code under test: read the membership rows in Python."""
    now = timezone.now()
    plans = {m.plan for m in Membership.objects.filter(customer=customer) if m.covers(now)}
    if Plan.PREMIUM in plans:
        return Plan.PREMIUM
    return Plan.PLUS if plans else Plan.FREE


def active_count(customer) -> int:
    return Reservation.objects.filter(
        customer=customer, status=ReservationStatus.ACTIVE, ends_at__gt=timezone.now()
    ).count()


class QueueMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example starts from an empty cache as from an empty database: a settlement horizon
        # or catalog version left by the example before would make the run depend on the order.
        cache.clear()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.books = [BookFactory(total_units=units) for units in (1, 2)][:BOOKS]
        self.customers = []
        for index in range(CUSTOMERS):
            customer = CustomerFactory()
            plan = [Plan.PLUS, Plan.PREMIUM, Plan.PLUS, Plan.FREE, Plan.PLUS][index]
            if plan != Plan.FREE:
                give_plan(customer, plan)
            fund(customer, 20_000)
            self.customers.append(customer)
        self.downgraded: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------------------

    def expected_order(self, book) -> list[QueueEntry]:
        waiting = list(QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING))
        return sorted(
            waiting,
            key=lambda e: (plan_now(e.customer) != Plan.PREMIUM, e.queued_at, e.pk),
        )

    def release_and_check_order(self, book, release) -> None:
        """Run a release and check the queue was walked in its order (premium at that moment
        first, then by `queued_at`): everyone before the served entry was dropped, everyone after
        still waits; unserved units went back to the shelf."""
        order = self.expected_order(book)
        release()
        statuses = [QueueEntry.objects.get(pk=e.pk).status for e in order]
        served = [i for i, s in enumerate(statuses) if s == QueueStatus.FULFILLED]
        if not served:
            assert all(s == QueueStatus.DROPPED for s in statuses)
            return
        for index, status in enumerate(statuses):
            if index < served[-1]:
                assert status in (QueueStatus.DROPPED, QueueStatus.FULFILLED)
            elif index > served[-1]:
                assert status == QueueStatus.WAITING
        for index in served:
            customer = order[index].customer
            assert active_count(customer) <= rules_for(plan_now(customer)).max_active_reservations

    # --- rules --------------------------------------------------------------------------------

    @rule(c=st.integers(0, CUSTOMERS - 1), b=st.integers(0, BOOKS - 1), days=st.integers(0, 15))
    def reserve(self, c, b, days):
        customer = self.customers[c]
        try:
            outcome = reservation_create(customer=customer, book_id=self.books[b].pk, days=days)
        except DomainError:
            return
        if outcome.reservation is not None:
            limit = rules_for(plan_now(customer)).max_active_reservations
            assert active_count(customer) <= limit

    @rule(c=st.integers(0, CUSTOMERS - 1), b=st.integers(0, BOOKS - 1))
    def give_back(self, c, b):
        customer, book = self.customers[c], self.books[b]
        held = Reservation.objects.filter(
            customer=customer, book=book, status=ReservationStatus.ACTIVE
        ).first()
        if held is None:
            return
        self.release_and_check_order(
            book, lambda: reservation_return(customer=customer, reservation_id=held.pk)
        )

    @rule(c=st.integers(0, CUSTOMERS - 1), b=st.integers(0, BOOKS - 1))
    def leave(self, c, b):
        entry = QueueEntry.objects.filter(
            customer=self.customers[c], book=self.books[b], status=QueueStatus.WAITING
        ).first()
        if entry is not None:
            queue_leave(customer=self.customers[c], entry_id=entry.pk)
            assert QueueEntry.objects.get(pk=entry.pk).status == QueueStatus.LEFT

    @rule(b=st.integers(0, BOOKS - 1))
    def expire_one(self, b):
        book = self.books[b]
        held = Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).first()
        if held is None:
            return
        Reservation.objects.filter(pk=held.pk).update(
            starts_at=timezone.now() - timedelta(days=30),
            ends_at=timezone.now() - timedelta(seconds=1),
        )
        self.release_and_check_order(book, settle_due_reservations)
        assert Reservation.objects.get(pk=held.pk).status == ReservationStatus.EXPIRED

    @rule(c=st.integers(0, CUSTOMERS - 1), plan=st.sampled_from([Plan.PLUS, Plan.PREMIUM]))
    def buy_plan(self, c, plan):
        customer = self.customers[c]
        price = rules_for(plan).price_per_period
        if Wallet.objects.get(customer=customer).balance < price:
            fund(customer, price)
        wallet_debit(customer_id=customer.pk, amount=price, kind=TransactionKind.MEMBERSHIP_FEE)
        give_plan(customer, plan, starts_at=timezone.now())

    @rule(c=st.integers(0, CUSTOMERS - 1))
    def membership_lapses(self, c):
        customer = self.customers[c]
        Membership.objects.filter(customer=customer, ends_at__gt=timezone.now()).update(
            ends_at=timezone.now()
        )
        self.downgraded.add(customer.pk)

    @rule(c=st.integers(0, CUSTOMERS - 1), amount=st.integers(1, 5_000))
    def charge(self, c, amount):
        wallet_credit(customer_id=self.customers[c].pk, amount=amount, kind=TransactionKind.CHARGE)

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def units_match_active_reservations(self):
        for book in Book.objects.filter(pk__in=[b.pk for b in self.books]):
            active = Reservation.objects.filter(book=book, status=ReservationStatus.ACTIVE).count()
            assert 0 <= book.available_units == book.total_units - active
            if book.available_units:
                assert not QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING).exists()

    @invariant()
    def every_balance_equals_its_ledger(self):
        for wallet in Wallet.objects.filter(customer__in=self.customers):
            assert wallet.balance >= 0
            assert wallet.balance == (wallet.transactions.aggregate(t=Sum("amount"))["t"] or 0)

    @invariant()
    def nobody_is_over_their_plan_limit(self):
        for customer in self.customers:
            if customer.pk not in self.downgraded:
                limit = rules_for(plan_now(customer)).max_active_reservations
                assert active_count(customer) <= limit


@pytest.mark.django_db
def test_the_queue_and_the_ledger_keep_their_invariants_under_random_use():
    run_state_machine_as_test(
        QueueMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
