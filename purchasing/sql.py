"""The hand-written statements of the wallet: its row lock, its balance and its ledger append.

Prepared statements because every reserve, grant and money movement runs them, and the ORM's
`select_for_update()`, `save()` and `create()` cost several times their database time in Python
on this path (measured by `make bench`). Neither model has a save signal; the ledger's
append-only rule is about changing rows, and these only insert.
"""

from datetime import datetime

from django.db import connection
from django.db.transaction import TransactionManagementError

from core import prepared
from purchasing.models import Wallet, WalletTransaction

# What a locked wallet is read with: `updated_at` is set by a balance change (and loaded if ever
# used).
WALLET_LOCKED_FIELDS = ["id", "customer_id", "balance"]


def _wallet_lock_sql() -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    fields = ", ".join(WALLET_LOCKED_FIELDS)
    return f"SELECT {fields} FROM {Wallet._meta.db_table} WHERE customer_id = %s{lock}"


WALLET_LOCK = prepared.register("wallet_for_update", _wallet_lock_sql)
WALLET_BALANCE_SAVE = prepared.register(
    "wallet_balance_save",
    f"UPDATE {Wallet._meta.db_table} SET balance = %s, updated_at = %s WHERE id = %s",
)
WALLET_LEDGER_APPEND = prepared.register(
    "wallet_ledger_append",
    f"INSERT INTO {WalletTransaction._meta.db_table}"
    " (wallet_id, kind, amount, balance_after, reference, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
)


def locked_wallet(customer_id: int) -> Wallet | None:
    """The customer's wallet, its row locked for the rest of the transaction (None: no wallet)."""
    if connection.features.has_select_for_update and connection.get_autocommit():
        # as the ORM's select_for_update() refuses
        raise TransactionManagementError("A wallet can be locked only inside a transaction.")
    with connection.cursor() as cursor:
        WALLET_LOCK.execute(cursor, [customer_id])
        row = cursor.fetchone()
    return None if row is None else Wallet.from_db(connection.alias, WALLET_LOCKED_FIELDS, row)


def appended_ledger_row(
    *, wallet: Wallet, kind: str, amount: int, reference: str, at: datetime
) -> WalletTransaction:
    """Write the locked wallet's balance (already changed by `amount`) as of `at`, and the ledger
    row appended for it."""
    moment = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        WALLET_BALANCE_SAVE.execute(cursor, [wallet.balance, moment, wallet.pk])
        WALLET_LEDGER_APPEND.execute(
            cursor, [wallet.pk, str(kind), amount, wallet.balance, reference, moment]
        )
        (ledger_id,) = cursor.fetchone()
    entry = WalletTransaction.from_db(
        connection.alias, None, [ledger_id, wallet.pk, kind, amount, wallet.balance, reference, at]
    )
    entry.wallet = wallet
    return entry
