from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Membership, Plan
from accounts.selectors import current_plan
from accounts.tests.factories import CustomerFactory, MembershipFactory
from purchasing.errors import InsufficientFunds, InvalidMembershipPurchase
from purchasing.models import TransactionKind, WalletTransaction
from purchasing.services import membership_purchase, membership_refund_value
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def ledger_of(customer) -> list[tuple[str, int, str]]:
    rows = WalletTransaction.objects.filter(wallet__customer=customer).order_by("id")
    return [(r.kind, r.amount, r.reference) for r in rows]


def test_buying_a_plan_without_a_membership_starts_it_now_for_30_days_per_month():
    customer = CustomerFactory(balance=120_000)
    purchase = membership_purchase(customer_id=customer.pk, plan="plus", months=2, at=T0)
    membership = purchase.membership
    assert (membership.plan, membership.starts_at, membership.ends_at) == (
        "plus",
        T0,
        T0 + 60 * DAY,
    )
    assert membership.price_paid == 100_000
    assert (purchase.charged, purchase.refunded, purchase.balance) == (100_000, 0, 20_000)
    assert balance_of(customer) == 20_000
    assert ledger_of(customer)[-1] == ("membership_fee", -100_000, f"membership:{membership.pk}")
    assert current_plan(customer=customer, at=T0 + DAY) == Plan.PLUS


def test_buying_without_enough_money_is_402_and_changes_nothing():
    customer = CustomerFactory(balance=199_999)
    with pytest.raises(InsufficientFunds) as caught:
        membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=T0)
    assert caught.value.extra["missing_amount"] == 1
    assert caught.value.extra["charge_url"] == "/api/wallet/charge/?amount=1"
    assert not Membership.objects.filter(customer=customer).exists()
    assert balance_of(customer) == 199_999


def test_buying_the_plan_you_have_extends_its_end_by_30_days_per_month():
    customer = CustomerFactory(balance=150_000)
    first = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0).membership
    later = T0 + 10 * DAY
    purchase = membership_purchase(customer_id=customer.pk, plan="plus", months=2, at=later)
    assert purchase.membership.pk == first.pk
    assert purchase.membership.starts_at == T0
    assert purchase.membership.ends_at == T0 + 90 * DAY
    assert purchase.membership.price_paid == 150_000
    assert purchase.refunded == 0
    assert Membership.objects.filter(customer=customer).count() == 1
    assert balance_of(customer) == 0


def test_buying_the_same_plan_after_the_old_one_ended_starts_a_new_one():
    customer = CustomerFactory(balance=100_000)
    old = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0).membership
    later = T0 + 45 * DAY
    new = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=later).membership
    assert new.pk != old.pk
    assert (new.starts_at, new.ends_at) == (later, later + 30 * DAY)
    old.refresh_from_db()
    assert old.ends_at == T0 + 30 * DAY


def test_switching_plans_refunds_the_unused_whole_days_and_starts_the_new_plan_now():
    customer = CustomerFactory(balance=250_000)
    plus = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0).membership
    switch_at = T0 + 10 * DAY + timedelta(hours=5)  # 19 whole days and 19 hours left
    purchase = membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=switch_at)
    assert purchase.refunded == 50_000 * 19 // 30 == 31_666
    assert (purchase.membership.plan, purchase.membership.starts_at) == ("premium", switch_at)
    assert purchase.membership.ends_at == switch_at + 30 * DAY
    plus.refresh_from_db()
    assert plus.ends_at == switch_at
    assert ledger_of(customer)[-2:] == [
        ("refund", 31_666, f"membership:{plus.pk}"),
        ("membership_fee", -200_000, f"membership:{purchase.membership.pk}"),
    ]
    assert balance_of(customer) == 250_000 - 50_000 + 31_666 - 200_000
    assert current_plan(customer=customer, at=switch_at + DAY) == Plan.PREMIUM


def test_switching_down_from_premium_to_plus_refunds_too():
    customer = CustomerFactory(balance=200_000)
    membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=T0)
    purchase = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0 + 20 * DAY)
    assert purchase.refunded == 200_000 * 10 // 30
    assert balance_of(customer) == purchase.refunded - 50_000
    assert current_plan(customer=customer, at=T0 + 21 * DAY) == Plan.PLUS


def test_the_refund_counts_toward_the_price_of_the_new_plan():
    customer = CustomerFactory(balance=50_000 + 168_334)
    membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0)
    switch_at = T0 + 10 * DAY + timedelta(hours=5)  # refund 31,666: 168,334 + 31,666 = 200,000
    purchase = membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=switch_at)
    assert purchase.balance == 0


def test_a_switch_short_even_after_the_refund_is_402_and_keeps_the_old_plan():
    customer = CustomerFactory(balance=50_000 + 168_333)
    plus = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0).membership
    switch_at = T0 + 10 * DAY + timedelta(hours=5)
    with pytest.raises(InsufficientFunds) as caught:
        membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=switch_at)
    assert caught.value.extra["balance"] == 199_999  # the balance the refund would have made
    assert caught.value.extra["missing_amount"] == 1
    plus.refresh_from_db()
    assert plus.ends_at == T0 + 30 * DAY
    assert balance_of(customer) == 168_333
    assert not WalletTransaction.objects.filter(wallet__customer=customer, kind="refund").exists()
    assert current_plan(customer=customer, at=switch_at) == Plan.PLUS


def test_an_extended_membership_is_refunded_pro_rata_over_its_whole_length():
    customer = CustomerFactory(balance=300_000)
    membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0)
    membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0 + DAY)
    purchase = membership_purchase(
        customer_id=customer.pk, plan="premium", months=1, at=T0 + 15 * DAY
    )
    assert purchase.refunded == 100_000 * 45 // 60


def test_a_purchase_dated_at_the_latest_membership_start_moves_just_after_it():
    customer = CustomerFactory(balance=250_000)
    plus = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0).membership
    purchase = membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=T0)
    just_after = T0 + timedelta(microseconds=1)
    assert purchase.membership.starts_at == just_after
    plus.refresh_from_db()
    assert plus.ends_at == just_after
    assert purchase.refunded == 50_000 * 29 // 30
    assert current_plan(customer=customer, at=just_after) == Plan.PREMIUM


def test_a_purchase_dated_before_the_latest_start_never_overlaps_it():
    customer = CustomerFactory(balance=250_000)
    membership_purchase(customer_id=customer.pk, plan="premium", months=1, at=T0)
    purchase = membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0 - DAY)
    assert purchase.membership.starts_at > T0
    assert current_plan(customer=customer, at=purchase.membership.starts_at) == Plan.PLUS


@pytest.mark.parametrize(
    ("plan", "months"),
    [
        ("free", 1),
        ("gold", 1),
        ("plus", 0),
        ("plus", 13),
        ("plus", -1),
        ("plus", 1.5),
        ("plus", True),
    ],
)
def test_only_plus_or_premium_for_1_to_12_whole_months_can_be_bought(plan, months):
    customer = CustomerFactory(balance=10_000_000)
    with pytest.raises(InvalidMembershipPurchase):
        membership_purchase(customer_id=customer.pk, plan=plan, months=months, at=T0)
    assert balance_of(customer) == 10_000_000


def test_twelve_months_is_the_longest_purchase():
    customer = CustomerFactory(balance=600_000)
    purchase = membership_purchase(customer_id=customer.pk, plan="plus", months=12, at=T0)
    assert purchase.membership.ends_at == T0 + 360 * DAY
    assert balance_of(customer) == 0


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (T0, 50_000),  # nothing used
        (T0 + timedelta(hours=1), 50_000 * 29 // 30),  # a started day is not unused
        (T0 + 29 * DAY, 50_000 // 30),  # exactly one whole day left
        (T0 + 29 * DAY + timedelta(seconds=1), 0),  # less than one whole day left
        (T0 + 15 * DAY, 25_000),
    ],
)
def test_the_refund_value_counts_only_whole_unused_days(at, expected):
    membership = MembershipFactory.build(starts_at=T0, ends_at=T0 + 30 * DAY, price_paid=50_000)
    assert membership_refund_value(membership=membership, at=at) == expected


def test_the_refund_value_is_integer_toman_rounded_down():
    membership = MembershipFactory.build(starts_at=T0, ends_at=T0 + 30 * DAY, price_paid=50_001)
    assert membership_refund_value(membership=membership, at=T0 + 10 * DAY) == 50_001 * 20 // 30
    assert isinstance(membership_refund_value(membership=membership, at=T0), int)


def test_membership_fees_are_membership_fee_ledger_rows():
    customer = CustomerFactory(balance=50_000)
    membership_purchase(customer_id=customer.pk, plan="plus", months=1, at=T0)
    assert (
        WalletTransaction.objects.filter(
            wallet__customer=customer, kind=TransactionKind.MEMBERSHIP_FEE
        ).count()
        == 1
    )
