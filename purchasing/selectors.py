"""Reads about money that other apps use (pricing, profiles) and the wallet endpoints show."""

from datetime import datetime

from django.db.models import Expression, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.plans import SqlFragment
from purchasing.errors import WalletNotFound
from purchasing.models import Payment, TransactionKind, Wallet, WalletTransaction

# Money spent: fees less refunds (a refund row is positive), never top-ups.
PAID_KINDS = (
    TransactionKind.RESERVATION_FEE.value,
    TransactionKind.MEMBERSHIP_FEE.value,
    TransactionKind.REFUND.value,
)


def counts_as_paid(row: WalletTransaction, *, since: datetime) -> bool:
    """A ledger row that moves the member's paid sum since `since`."""
    return row.kind in PAID_KINDS and row.created_at >= since


def paid_q(*, since: datetime) -> Q:
    """`counts_as_paid` for a queryset of ledger rows."""
    return Q(kind__in=PAID_KINDS, created_at__gte=since)


def amount_paid(ledger_sum: int) -> int:
    """The paid sum from the signed sum of the paid rows (debits are negative)."""
    return max(0, -ledger_sum)


def paid_ledger_sum(*, since: datetime, customer_ref: str = "customer_id") -> Expression:
    """The signed sum of the paid rows of the customer `customer_ref` of the outer query."""
    total = (
        WalletTransaction.objects.filter(
            paid_q(since=since), wallet__customer_id=OuterRef(customer_ref)
        )
        .order_by()
        .values("wallet__customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=IntegerField())


def paid_ledger_sum_sql(*, customer: SqlFragment, since: SqlFragment) -> SqlFragment:
    """`paid_ledger_sum` as a scalar subquery for a hand-written statement."""
    ledger, wallet = WalletTransaction._meta.db_table, Wallet._meta.db_table
    customer_sql, customer_params = customer
    since_sql, since_params = since
    kinds = ", ".join("'" + kind.replace("'", "''") + "'" for kind in PAID_KINDS)
    return (
        f"(SELECT COALESCE(SUM(t.amount), 0) FROM {ledger} t JOIN {wallet} w ON w.id = t.wallet_id"
        f" WHERE w.customer_id = {customer_sql} AND t.created_at >= {since_sql}"
        f" AND t.kind IN ({kinds}))",
        [*customer_params, *since_params],
    )


def amount_paid_since(*, customer_id: int, since: datetime) -> int:
    """Net money spent since `since`: reservation and membership fees less refunds (never top-ups)."""
    total = WalletTransaction.objects.filter(
        paid_q(since=since), wallet__customer_id=customer_id
    ).aggregate(total=Sum("amount"))["total"]
    return amount_paid(total or 0)


def wallet_of(*, user) -> Wallet:
    """The signed-in user's own wallet (404 `wallet_not_found` for an account without one)."""
    wallet = Wallet.objects.select_related("customer").filter(customer__user_id=user.pk).first()
    if wallet is None:
        raise WalletNotFound()
    return wallet


def wallet_transactions(*, wallet: Wallet) -> QuerySet[WalletTransaction]:
    """The wallet's ledger, newest first."""
    return WalletTransaction.objects.filter(wallet=wallet).order_by("-created_at", "-id")


def wallet_payments(*, wallet: Wallet) -> QuerySet[Payment]:
    """The wallet's charges, newest first."""
    return Payment.objects.filter(wallet=wallet).order_by("-created_at", "-id")
