"""Each use case that takes money locks the customer's wallet row once: the paid reserve, the
grant in the release walk, and the renewal charge the wallet they locked to check the balance."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from purchasing.models import Wallet
from purchasing.sql import WALLET_LOCK
from reservations.models import QueueStatus
from reservations.services import reservation_create, reservation_renew, reservation_return

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LOCK_OF_A_WALLET = re.compile(rf'FROM "?{Wallet._meta.db_table}"?\b.*\bFOR UPDATE\b', re.DOTALL)


def wallet_locks(context: CaptureQueriesContext) -> int:
    """The statements of `context` that lock a wallet row: the prepared lock, or any other."""
    return sum(
        sql.startswith(f"EXECUTE {WALLET_LOCK.name} ")
        or (not sql.startswith("PREPARE ") and bool(LOCK_OF_A_WALLET.search(sql)))
        for sql in (query["sql"] for query in context.captured_queries)
    )


def test_a_paid_reserve_locks_the_wallet_once():
    customer = member()
    with CaptureQueriesContext(connection) as context:
        outcome = reservation_create(customer=customer, book_id=BookFactory().pk, days=2)
    assert outcome.reservation.price == 2_000
    assert wallet_locks(context) == 1


def test_a_grant_locks_the_waiting_members_wallet_once():
    book = BookFactory(total_units=1)
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    entry = reservation_create(customer=member(), book_id=book.pk, days=2).queue_entry
    with CaptureQueriesContext(connection) as context:
        reservation_return(customer=holder, reservation_id=held.pk)
    entry.refresh_from_db()
    assert entry.status == QueueStatus.FULFILLED
    assert entry.reservation.price == 2_000
    assert wallet_locks(context) == 1


def test_a_paid_renewal_locks_the_wallet_once():
    customer = member()
    held = reservation_create(customer=customer, book_id=BookFactory().pk, days=2).reservation
    with CaptureQueriesContext(connection) as context:
        renewed = reservation_renew(customer=customer, reservation_id=held.pk, days=4)
    assert renewed.price == 4_000
    assert wallet_locks(context) == 1
