"""Writes that move money. `wallet_credit` and `wallet_debit` are the only code that touches a balance.

Every balance change locks the customer's wallet row first (the last lock of the global order
book → queue entries → wallet, and the only one these services take before other rows), so all of
one customer's money movements and membership purchases run one after another. A charge asks its
gateway before it takes that lock.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Membership, Plan
from accounts.plans import MEMBERSHIP_PERIOD_DAYS, rules_for
from accounts.selectors import current_membership
from purchasing import hooks
from purchasing.errors import (
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidMembershipPurchase,
    PaymentAmountMismatch,
    PaymentNotFound,
    PaymentNotPending,
    PlanLimitsExceeded,
    WalletNotFound,
)
from purchasing.gateways import VERIFYING_GATEWAYS, get_gateway
from purchasing.models import Payment, PaymentStatus, TransactionKind, Wallet, WalletTransaction
from purchasing.sql import appended_ledger_row, locked_wallet

CREDIT_KINDS = {TransactionKind.CHARGE, TransactionKind.REFUND}
DEBIT_KINDS = {TransactionKind.RESERVATION_FEE, TransactionKind.MEMBERSHIP_FEE}

MAX_CHARGE_AMOUNT = 100_000_000  # toman per wallet charge
PURCHASABLE_PLANS = (Plan.PLUS, Plan.PREMIUM)
MAX_MEMBERSHIP_MONTHS = 12

logger = logging.getLogger(__name__)


def wallet_open(*, customer_id: int) -> Wallet:
    """Give a new customer an empty wallet (called by sign-up, inside its transaction)."""
    return Wallet.objects.create(customer_id=customer_id)


def wallet_for_update(*, customer_id: int) -> Wallet:
    """Lock the customer's wallet row for the rest of the transaction (the last lock in our order)."""
    wallet = locked_wallet(customer_id)
    if wallet is None:
        raise WalletNotFound()
    return wallet


def _move_money(
    *, customer_id: int, kind: str, amount: int, reference: str, wallet: Wallet | None = None
) -> WalletTransaction:
    """Add the signed `amount` to the customer's wallet under its row lock, with its ledger row,
    in the caller's transaction (or in a new one). `wallet` is the customer's wallet when the
    caller has locked it already in this transaction (so a use case takes the lock once).

    No savepoint of its own (two round trips on every reserve that costs money): a missing
    wallet or a short balance is raised after the block, with nothing written, so the caller's
    transaction stays usable; any other error fails the caller's transaction with it.
    """
    if wallet is not None and wallet.customer_id != customer_id:
        raise ValueError(f"wallet {wallet.pk} is not customer {customer_id}'s")
    with transaction.atomic(savepoint=False):
        wallet = wallet or locked_wallet(customer_id)
        if wallet is not None and wallet.balance + amount >= 0:
            return _apply(wallet=wallet, kind=kind, amount=amount, reference=reference)
    if wallet is None:
        raise WalletNotFound()
    raise InsufficientFunds(required_amount=-amount, balance=wallet.balance)


def _apply(*, wallet: Wallet, kind: str, amount: int, reference: str) -> WalletTransaction:
    """Change the locked wallet's balance by `amount` and append its ledger row."""
    wallet.balance += amount
    wallet.updated_at = timezone.now()
    entry = appended_ledger_row(
        wallet=wallet, kind=kind, amount=amount, reference=reference, at=wallet.updated_at
    )
    _log_after_commit(
        "money.ledger",
        customer_id=wallet.customer_id,
        wallet_id=wallet.pk,
        kind=kind,
        amount=amount,
        balance_after=entry.balance_after,
        reference=reference,
        ledger_id=entry.pk,
    )
    return entry


def _log_after_commit(event: str, **fields) -> None:
    """One structured line per money movement, written only if its transaction commits."""
    transaction.on_commit(lambda: logger.info(event, extra={"event": event, **fields}))


def wallet_credit(
    *, customer_id: int, amount: int, kind: str, reference: str = ""
) -> WalletTransaction:
    """Add money (a charge or a refund) and write its ledger row, under the wallet's row lock."""
    if kind not in CREDIT_KINDS or not _is_whole(amount) or amount <= 0:
        raise ValueError(f"invalid credit: {kind} {amount!r}")
    return _move_money(customer_id=customer_id, kind=kind, amount=amount, reference=reference)


def wallet_debit(
    *,
    customer_id: int,
    amount: int,
    kind: str,
    reference: str = "",
    locked_wallet: Wallet | None = None,
) -> WalletTransaction:
    """Take money and write its ledger row; `InsufficientFunds` (402) when the balance is short.

    `locked_wallet`: the customer's wallet as `wallet_for_update` returned it in this
    transaction, when the use case has locked it already (its lock is then not taken again).
    """
    if kind not in DEBIT_KINDS or not _is_whole(amount) or amount <= 0:
        raise ValueError(f"invalid debit: {kind} {amount!r}")
    return _move_money(
        customer_id=customer_id,
        kind=kind,
        amount=-amount,
        reference=reference,
        wallet=locked_wallet,
    )


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Wallet charges through the payment gateway -----------------------------------------------


@dataclass(frozen=True)
class ChargeResult:
    payment: Payment
    replayed: bool  # True: an earlier request with the same Idempotency-Key answered


def request_fingerprint(*, amount: int) -> str:
    """What "the same body" means for an Idempotency-Key: the validated request, canonically."""
    return hashlib.sha256(json.dumps({"amount": amount}, sort_keys=True).encode()).hexdigest()


def wallet_charge(
    *, customer_id: int, amount: int, idempotency_key: str | None = None
) -> ChargeResult:
    """Charge the wallet through the configured gateway; a repeated key answers its first payment.

    The gateway is asked without the wallet's lock (a real one may take seconds to answer, and the
    member's reservations and queue grants need that lock meanwhile); the wallet is locked only to
    credit a gateway that succeeds at once. A webhook or redirect gateway leaves the payment
    pending. Requests with one key are kept apart by the unique (wallet, idempotency_key): a
    second insert waits for the first transaction and, once it commits, answers its payment.
    """
    if not _is_whole(amount) or not 0 < amount <= MAX_CHARGE_AMOUNT:
        raise InvalidAmount(max_amount=MAX_CHARGE_AMOUNT)
    fingerprint = request_fingerprint(amount=amount)
    try:
        return _charge(
            customer_id=customer_id,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        # Another request with this key committed while our insert waited for it: its payment.
        if idempotency_key is None:
            raise
        replay = _replay(
            customer_id=customer_id, idempotency_key=idempotency_key, fingerprint=fingerprint
        )
        if replay is None:
            raise
        return replay


def _replay(*, customer_id: int, idempotency_key: str, fingerprint: str) -> ChargeResult | None:
    """The first payment made with this key, if any; the key with another body is refused."""
    earlier = Payment.objects.filter(
        wallet__customer_id=customer_id, idempotency_key=idempotency_key
    ).first()
    if earlier is None:
        return None
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return ChargeResult(payment=earlier, replayed=True)


def _charge(
    *, customer_id: int, amount: int, idempotency_key: str | None, fingerprint: str
) -> ChargeResult:
    gateway = get_gateway()
    with transaction.atomic():
        if idempotency_key is not None:
            replay = _replay(
                customer_id=customer_id, idempotency_key=idempotency_key, fingerprint=fingerprint
            )
            if replay is not None:
                return replay
        wallet = Wallet.objects.filter(customer_id=customer_id).first()
        if wallet is None:
            raise WalletNotFound()
        payment = Payment.objects.create(
            wallet=wallet,
            amount=amount,
            gateway=gateway.name,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        _log_after_commit(
            "money.payment_started",
            customer_id=customer_id,
            payment_id=payment.pk,
            amount=amount,
            gateway=gateway.name,
        )
        # A gateway that refuses or does not answer raises here: the payment row and its key
        # roll back with the transaction, and nothing was charged.
        checkout = gateway.begin(payment=payment)
        payment.gateway_reference = checkout.reference
        payment.payment_url = checkout.url
        if checkout.succeeded:
            _settle(payment=payment, succeeded=True)
        else:
            payment.save(update_fields=["gateway_reference", "payment_url"])
    return ChargeResult(payment=payment, replayed=False)


@dataclass(frozen=True)
class ConfirmResult:
    payment: Payment
    duplicate: bool  # True: the payment already had this outcome; nothing changed


def payment_confirm(*, gateway: str, reference: str, succeeded: bool, amount: int) -> ConfirmResult:
    """Apply a gateway's verdict once: only a pending payment settles, and success credits the wallet.

    Safe to receive twice or concurrently: the payment row is re-read under its lock (after the
    wallet's), so a second identical event finds it final and changes nothing.
    """
    found = (
        Payment.objects.filter(gateway=gateway, gateway_reference=reference)
        .values_list("pk", "wallet__customer_id")
        .first()
    )
    if found is None:
        raise PaymentNotFound()
    payment_id, customer_id = found
    with transaction.atomic():
        wallet_for_update(customer_id=customer_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.amount != amount:
            raise PaymentAmountMismatch(expected_amount=payment.amount)
        outcome = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
        if payment.status == outcome:
            return ConfirmResult(payment=payment, duplicate=True)
        if payment.status != PaymentStatus.PENDING:
            raise PaymentNotPending(status=payment.status)
        _settle(payment=payment, succeeded=succeeded)
    return ConfirmResult(payment=payment, duplicate=False)


def payment_verify(*, gateway: str, reference: str) -> Payment:
    """Settle a payment by asking its gateway (the member came back from the gateway's page).

    The outcome is what the gateway answers to our verify call for the amount in our row, never
    what the member's browser brought back. A final payment is returned as it is, with no call.
    """
    payment = (
        Payment.objects.select_related("wallet")
        .filter(gateway=gateway, gateway_reference=reference)
        .first()
    )
    if payment is None or gateway not in VERIFYING_GATEWAYS:
        raise PaymentNotFound()
    return _verify_and_settle(payment=payment)


def _verify_and_settle(*, payment: Payment) -> Payment:
    """Ask the gateway with no lock held (the call may take seconds), then apply its verdict
    under the wallet's and the payment's locks, once: a callback, a replayed callback and the
    sweep may all verify one payment at the same time, and only the first to lock settles it."""
    if payment.status != PaymentStatus.PENDING:
        return payment
    verification = VERIFYING_GATEWAYS[payment.gateway]().verify(payment=payment)
    if verification.succeeded is None:
        return payment
    with transaction.atomic():
        wallet_for_update(customer_id=payment.wallet.customer_id)
        locked = Payment.objects.select_related("wallet").select_for_update(of=("self",))
        locked = locked.get(pk=payment.pk)
        if locked.status == PaymentStatus.PENDING:
            locked.gateway_receipt = verification.receipt
            _settle(payment=locked, succeeded=verification.succeeded)
            return locked
    if verification.succeeded and locked.status != PaymentStatus.SUCCEEDED:
        # The gateway took the money for a payment we had already given up on (expired):
        # nobody credits it automatically, so it must reach a person.
        logger.error(
            "money.payment_verified_after_failure",
            extra={
                "event": "money.payment_verified_after_failure",
                "payment_id": locked.pk,
                "customer_id": locked.wallet.customer_id,
                "amount": locked.amount,
                "gateway": locked.gateway,
                "receipt": verification.receipt,
            },
        )
    return locked


@dataclass(frozen=True)
class SweepResult:
    succeeded: int = 0
    failed: int = 0
    expired: int = 0
    still_pending: int = 0


SWEEP_BATCH = 100
SWEEP_SECONDS = 120


def payments_verify_stale(*, now: datetime | None = None) -> SweepResult:
    """Verify the payments left pending past `ZARINPAL_VERIFY_AFTER_MINUTES` (the member closed
    the tab before coming back), and fail those still unconfirmed past
    `ZARINPAL_EXPIRE_MINUTES`: money the gateway never had verified is returned to the payer by
    the gateway, so nothing is owed for them."""
    now = now or timezone.now()
    stale = Payment.objects.select_related("wallet").filter(
        status=PaymentStatus.PENDING,
        gateway__in=list(VERIFYING_GATEWAYS),
        created_at__lte=now - timedelta(minutes=settings.ZARINPAL_VERIFY_AFTER_MINUTES),
    )
    expire_before = now - timedelta(minutes=settings.ZARINPAL_EXPIRE_MINUTES)
    counts = {"succeeded": 0, "failed": 0, "expired": 0, "still_pending": 0}
    deadline = time.monotonic() + SWEEP_SECONDS
    for payment in stale.order_by("created_at", "id")[:SWEEP_BATCH]:
        if time.monotonic() > deadline:
            break  # Zarinpal is slow: the next run goes on, within the task's time limit
        payment = _verify_and_settle(payment=payment)
        if payment.status == PaymentStatus.PENDING and payment.created_at <= expire_before:
            payment = payment_expire(payment_id=payment.pk)
            counts["expired" if payment.status == PaymentStatus.FAILED else "still_pending"] += 1
        elif payment.status == PaymentStatus.PENDING:
            counts["still_pending"] += 1
        else:
            counts[payment.status] += 1
    return SweepResult(**counts)


def payment_expire(*, payment_id: int) -> Payment:
    """Fail a payment that is still pending (under its locks); a settled one is left as it is."""
    customer_id = Payment.objects.values_list("wallet__customer_id", flat=True).get(pk=payment_id)
    with transaction.atomic():
        wallet_for_update(customer_id=customer_id)
        payment = Payment.objects.select_related("wallet").select_for_update(of=("self",))
        payment = payment.get(pk=payment_id)
        if payment.status == PaymentStatus.PENDING:
            _settle(payment=payment, succeeded=False)
            _log_after_commit(
                "money.payment_expired",
                customer_id=customer_id,
                payment_id=payment.pk,
                amount=payment.amount,
                gateway=payment.gateway,
            )
    return payment


def _settle(*, payment: Payment, succeeded: bool) -> None:
    payment.complete(succeeded=succeeded, at=timezone.now())
    payment.save(
        update_fields=[
            "gateway_reference",
            "payment_url",
            "gateway_receipt",
            "status",
            "completed_at",
        ]
    )
    if succeeded:
        wallet_credit(
            customer_id=payment.wallet.customer_id,
            amount=payment.amount,
            kind=TransactionKind.CHARGE,
            reference=f"payment:{payment.pk}",
        )


# --- Memberships --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipPurchase:
    membership: Membership
    charged: int
    refunded: int
    balance: int
    discounts_repaid: int = 0


def membership_refund_value(*, membership: Membership, at: datetime) -> int:
    """The unused whole days of `membership` at `at`, pro rata of what it cost (integer toman)."""
    total_days = (membership.ends_at - membership.starts_at).days
    unused_days = max(0, (membership.ends_at - at).days)
    if total_days <= 0:
        return 0
    return membership.price_paid * min(unused_days, total_days) // total_days


def _purchase_moment(*, customer_id: int, at: datetime) -> datetime:
    """`at`, but always after the start of the customer's latest membership.

    Web processes on other machines may have clocks a little ahead, and two purchases may share an
    instant: dating a purchase at or before the latest start would let memberships overlap (and an
    ended one must end after it starts), so such a purchase moves one microsecond past it.
    """
    latest_start = Membership.objects.filter(customer_id=customer_id).aggregate(
        latest=Max("starts_at")
    )["latest"]
    if latest_start is not None and at <= latest_start:
        return latest_start + timedelta(microseconds=1)
    return at


def membership_purchase(
    *, customer_id: int, plan: str, months: int, at: datetime | None = None
) -> MembershipPurchase:
    """Buy `months` * 30 days of a plan from the wallet, in one transaction with the wallet locked.

    The plan you have: its end moves `30 * months` days later. The other plan: refused (409
    `plan_limits_exceeded`) while the member's active loans break its limits; else the current one
    ends now, its unused whole days are refunded first (so the refund counts toward the price),
    the refund repays the 100% discounts that only its money had unlocked (they were bought with
    money now taken back), and the new one starts now. Short of money (after the refund): 402 and
    nothing changes.
    """
    if plan not in PURCHASABLE_PLANS or not _is_whole(months):
        raise InvalidMembershipPurchase()
    if not 1 <= months <= MAX_MEMBERSHIP_MONTHS:
        raise InvalidMembershipPurchase()
    price = rules_for(plan).price_per_period * months
    length = timedelta(days=MEMBERSHIP_PERIOD_DAYS * months)
    with transaction.atomic():
        wallet = wallet_for_update(customer_id=customer_id)
        at = _purchase_moment(customer_id=customer_id, at=at or timezone.now())
        current = current_membership(customer=wallet.customer, at=at)
        refunded = repaid = 0
        if current is not None and current.plan == plan:
            current.ends_at += length
            current.price_paid += price
            current.save(update_fields=["ends_at", "price_paid"])
            membership = current
        else:
            if current is not None:
                _ensure_loans_fit(customer_id=customer_id, plan=plan, at=at)
                refunded = membership_refund_value(membership=current, at=at)
                current.ends_at = at
                current.save(update_fields=["ends_at"])
                if refunded:
                    wallet_credit(
                        customer_id=customer_id,
                        amount=refunded,
                        kind=TransactionKind.REFUND,
                        reference=f"membership:{current.pk}",
                    )
                    repaid = hooks.discounts_repay(
                        customer_id=customer_id, since=current.starts_at, refunded=refunded, at=at
                    )
            membership = Membership.objects.create(
                customer_id=customer_id,
                plan=plan,
                starts_at=at,
                ends_at=at + length,
                price_paid=price,
            )
        debit = wallet_debit(
            customer_id=customer_id,
            amount=price,
            kind=TransactionKind.MEMBERSHIP_FEE,
            reference=f"membership:{membership.pk}",
        )
        _log_after_commit(
            "money.membership_purchase",
            customer_id=customer_id,
            plan=plan,
            months=months,
            amount=price,
            refunded=refunded,
            discounts_repaid=repaid,
            membership_id=membership.pk,
        )
    return MembershipPurchase(
        membership=membership,
        charged=price,
        refunded=refunded,
        balance=debit.balance_after,
        discounts_repaid=repaid,
    )


def _ensure_loans_fit(*, customer_id: int, plan: str, at: datetime) -> None:
    """409 when the customer's active loans at `at` break the limits of `plan`.

    Read under the customer's wallet lock, which every reserve and grant also takes before it
    counts the loans and re-reads the plan: a reserve cannot slip between this check and the switch.
    """
    rules = rules_for(plan)
    loans = hooks.active_loans(customer_id=customer_id, at=at)
    if loans.count > rules.max_active_reservations or loans.longest_days > rules.max_days:
        raise PlanLimitsExceeded(
            plan=plan,
            active_reservations=loans.count,
            max_reservations=rules.max_active_reservations,
            longest_active_days=loans.longest_days,
            max_days=rules.max_days,
        )
