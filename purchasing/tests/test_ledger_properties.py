"""Random sequences of money movements against a simple independent model of one wallet."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.selectors import current_membership
from accounts.tests.factories import CustomerFactory
from purchasing.errors import InsufficientFunds
from purchasing.models import TransactionKind, Wallet, WalletTransaction
from purchasing.services import (
    membership_purchase,
    wallet_charge,
    wallet_credit,
    wallet_debit,
)

pytestmark = pytest.mark.django_db

PRICE = {"plus": 50_000, "premium": 200_000}  # per 30 days, as `accounts.plans.PLANS` says
DAY = timedelta(days=1)


@dataclass
class ModelMembership:
    plan: str
    starts_at: datetime
    ends_at: datetime
    price_paid: int


class WalletMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.customer = CustomerFactory()
        self.balance = 0
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.memberships: list[ModelMembership] = []

    def covering(self, moment: datetime) -> ModelMembership | None:
        """Memberships never overlap, so at most one covers a moment."""
        found = [m for m in self.memberships if m.starts_at <= moment < m.ends_at]
        assert len(found) <= 1
        return found[0] if found else None

    # --- rules ----------------------------------------------------------------------------------

    @rule(amount=st.integers(1, 3_000_000))
    def charge(self, amount):
        wallet_charge(customer_id=self.customer.pk, amount=amount)
        self.balance += amount

    @rule(
        amount=st.integers(1, 300_000),
        kind=st.sampled_from([TransactionKind.RESERVATION_FEE, TransactionKind.MEMBERSHIP_FEE]),
    )
    def debit(self, amount, kind):
        if amount > self.balance:
            with pytest.raises(InsufficientFunds):
                wallet_debit(customer_id=self.customer.pk, amount=amount, kind=kind)
        else:
            wallet_debit(customer_id=self.customer.pk, amount=amount, kind=kind)
            self.balance -= amount

    @rule(amount=st.integers(1, 100_000))
    def refund(self, amount):
        wallet_credit(customer_id=self.customer.pk, amount=amount, kind=TransactionKind.REFUND)
        self.balance += amount

    @rule(minutes=st.one_of(st.just(0), st.integers(1, 45 * 24 * 60)))
    def time_passes(self, minutes):
        self.clock += timedelta(minutes=minutes)

    @rule(plan=st.sampled_from(["plus", "premium"]), months=st.integers(1, 12))
    def buy_membership(self, plan, months):
        at = self.clock
        latest_start = max((m.starts_at for m in self.memberships), default=None)
        if latest_start and at <= latest_start:
            at = latest_start + timedelta(microseconds=1)
        price = PRICE[plan] * months
        length = 30 * months * DAY
        current = self.covering(at)
        refund = 0
        if current and current.plan != plan:
            unused = (current.ends_at - at) // DAY
            total = (current.ends_at - current.starts_at) // DAY
            refund = current.price_paid * unused // total
        if self.balance + refund < price:
            with pytest.raises(InsufficientFunds):
                membership_purchase(
                    customer_id=self.customer.pk, plan=plan, months=months, at=self.clock
                )
            return
        result = membership_purchase(
            customer_id=self.customer.pk, plan=plan, months=months, at=self.clock
        )
        assert result.refunded == refund
        self.balance += refund - price
        if current and current.plan == plan:
            current.ends_at += length
            current.price_paid += price
        else:
            if current:
                current.ends_at = at
            self.memberships.append(ModelMembership(plan, at, at + length, price))

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def balance_matches_the_model_and_is_never_negative(self):
        balance = Wallet.objects.get(customer=self.customer).balance
        assert balance == self.balance
        assert balance >= 0

    @invariant()
    def balance_equals_the_ledger_sum_and_every_row_its_running_total(self):
        rows = WalletTransaction.objects.filter(wallet__customer=self.customer).order_by("id")
        running = 0
        for row in rows:
            running += row.amount
            assert row.balance_after == running
        total = rows.aggregate(total=Sum("amount"))["total"] or 0
        assert total == running == self.balance

    @invariant()
    def the_current_membership_matches_the_model(self):
        found = current_membership(customer=self.customer, at=self.clock)
        expected = self.covering(self.clock)
        if expected is None:
            assert found is None
        else:
            assert (found.plan, found.starts_at, found.ends_at, found.price_paid) == (
                expected.plan,
                expected.starts_at,
                expected.ends_at,
                expected.price_paid,
            )


def test_random_money_movements_keep_the_wallet_equal_to_its_ledger_and_the_model():
    run_state_machine_as_test(
        WalletMachine,
        settings=settings(
            max_examples=100,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
