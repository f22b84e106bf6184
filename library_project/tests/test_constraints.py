"""The database itself rejects writes that break the model's invariants (the last line of defence)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Customer, User
from catalog.models import Book, Genre, isbn13_is_valid
from purchasing.models import LedgerIsAppendOnly, Wallet, WalletTransaction
from reservations.models import QueueEntry, Reservation

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    user = User.objects.create_user("m@example.com", "+989121111111", "x")
    customer = Customer.objects.create(user=user)
    Wallet.objects.create(customer=customer)
    return customer


@pytest.fixture
def book():
    return Book.objects.create(
        title="T",
        isbn="9780306406157",
        genre=Genre.objects.create(name="G"),
        published_year=2000,
        total_units=2,
        available_units=2,
    )


def assert_rejected(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_wallet_balance_cannot_go_negative(customer):
    assert_rejected(lambda: Wallet.objects.filter(pk=customer.wallet.pk).update(balance=-1))


def test_available_units_cannot_exceed_total(book):
    assert_rejected(lambda: Book.objects.filter(pk=book.pk).update(available_units=3))


def test_available_units_cannot_go_negative(book):
    assert_rejected(lambda: Book.objects.filter(pk=book.pk).update(available_units=-1))


def test_total_units_must_be_at_least_one(book):
    assert_rejected(
        lambda: Book.objects.filter(pk=book.pk).update(total_units=0, available_units=0)
    )


def _reservation(customer, book, **fields):
    now = timezone.now()
    defaults = dict(
        customer=customer,
        book=book,
        days=2,
        starts_at=now,
        ends_at=now + timedelta(days=2),
        price=2000,
    )
    return Reservation.objects.create(**{**defaults, **fields})


def test_second_active_reservation_for_the_same_customer_and_book_is_rejected(customer, book):
    _reservation(customer, book)
    assert_rejected(lambda: _reservation(customer, book))


def test_a_returned_reservation_does_not_block_a_new_active_one(customer, book):
    _reservation(customer, book, status="returned", ended_at=timezone.now())
    assert _reservation(customer, book).pk


def test_reservation_status_and_ended_at_must_agree(customer, book):
    assert_rejected(lambda: _reservation(customer, book, status="returned"))


def test_second_waiting_queue_entry_for_the_same_customer_and_book_is_rejected(customer, book):
    QueueEntry.objects.create(customer=customer, book=book, days=3, queued_at=timezone.now())
    assert_rejected(
        lambda: QueueEntry.objects.create(
            customer=customer, book=book, days=3, queued_at=timezone.now()
        )
    )


def test_ledger_sign_must_match_its_kind(customer):
    assert_rejected(
        lambda: WalletTransaction.objects.create(
            wallet=customer.wallet, kind="charge", amount=-5, balance_after=0
        )
    )


def test_ledger_rows_cannot_be_changed_or_deleted(customer):
    row = WalletTransaction.objects.create(
        wallet=customer.wallet, kind="charge", amount=5, balance_after=5
    )
    row.amount = 6
    with pytest.raises(LedgerIsAppendOnly):
        row.save()
    with pytest.raises(LedgerIsAppendOnly):
        row.delete()


def test_email_is_unique_whatever_its_case(customer):
    assert_rejected(lambda: User.objects.create(email="M@EXAMPLE.COM", phone="+989122222222"))


@pytest.mark.parametrize(
    "isbn, valid",
    [
        ("9780306406157", True),
        ("9780306406158", False),
        ("978030640615", False),
        ("97803064061X7", False),
    ],
)
def test_isbn13_checksum(isbn, valid):
    assert isbn13_is_valid(isbn) is valid


def test_book_full_clean_rejects_a_bad_isbn(book):
    book.isbn = "9780306406158"
    with pytest.raises(ValidationError) as error:
        book.full_clean()
    assert "isbn" in error.value.message_dict
