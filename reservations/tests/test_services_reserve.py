from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification, Plan
from accounts.tests.factories import AdminFactory, give_plan, member
from catalog.tests.factories import BookFactory
from core.errors import NotFound
from purchasing.errors import InsufficientFunds
from purchasing.models import Wallet, WalletTransaction
from purchasing.tests.factories import balance_of as balance
from reservations.errors import (
    AlreadyQueued,
    AlreadyReserved,
    InvalidDuration,
    MembershipRequired,
    QueueEntryNotWaiting,
    RenewalBlocked,
    ReservationLimitReached,
    ReservationNotActive,
    ShorteningRefused,
)
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import (
    admin_end_reservation,
    admin_remove_queue_entry,
    queue_leave,
    reservation_create,
    reservation_renew,
    reservation_return,
    settle_due_reservations,
)

pytestmark = pytest.mark.django_db


def reserve(customer, book, days=3):
    return reservation_create(customer=customer, book_id=book.pk, days=days)


def occupied_book(units=1):
    book = BookFactory(total_units=units)
    holders = [member(balance=10_000) for _ in range(units)]
    reservations = [reserve(h, book).reservation for h in holders]
    return book, reservations


# --- instant reserve --------------------------------------------------------------------------


def test_instant_reserve_takes_a_unit_and_charges_1000_a_day():
    book = BookFactory(total_units=2)
    customer = member(balance=10_000)

    outcome = reserve(customer, book, days=3)

    r = outcome.reservation
    assert outcome.queue_entry is None
    assert (r.status, r.days, r.price, r.discount_percent) == ("active", 3, 3_000, 0)
    assert r.ends_at - r.starts_at == timedelta(days=3)
    book.refresh_from_db()
    assert book.available_units == 1
    assert balance(customer) == 7_000
    ledger = WalletTransaction.objects.get(kind="reservation_fee")
    assert (ledger.amount, ledger.reference) == (-3_000, f"reservation:{r.pk}")


def test_a_free_member_cannot_reserve():
    with pytest.raises(MembershipRequired):
        reserve(member(Plan.FREE), BookFactory(total_units=1))


@pytest.mark.parametrize(
    ("plan", "days"), [(Plan.PLUS, 0), (Plan.PLUS, 8), (Plan.PREMIUM, 15), (Plan.PLUS, -1)]
)
def test_days_outside_the_plan_are_an_invalid_duration(plan, days):
    with pytest.raises(InvalidDuration):
        reserve(member(plan), BookFactory(total_units=1), days=days)


@pytest.mark.parametrize(("plan", "days"), [(Plan.PLUS, 7), (Plan.PREMIUM, 14), (Plan.PLUS, 1)])
def test_the_plan_maximum_days_are_allowed(plan, days):
    assert (
        reserve(
            member(plan, balance=20_000), BookFactory(total_units=1), days=days
        ).reservation.days
        == days
    )


def test_the_plan_is_read_as_of_the_reserve_premium_winning_over_a_longer_plus():
    customer = member(Plan.PLUS, balance=50_000)  # plus, ending in 29 days
    give_plan(customer, Plan.PREMIUM, days=10)
    outcome = reserve(customer, BookFactory(total_units=1), days=14)  # over plus's 7 days
    assert (outcome.plan, outcome.reservation.days) == (Plan.PREMIUM, 14)


def test_memberships_not_covering_the_moment_leave_a_free_member():
    customer = member(Plan.FREE)
    give_plan(customer, Plan.PREMIUM, starts_at=timezone.now() + timedelta(days=1))
    give_plan(customer, Plan.PLUS, days=1, starts_at=timezone.now() - timedelta(days=2))
    with pytest.raises(MembershipRequired):
        reserve(customer, BookFactory(total_units=1))


def test_an_unknown_book_is_an_invalid_book_and_nothing_is_locked_or_written():
    customer = member()
    for book_id in (999_999, 0, 2**70):
        with pytest.raises(ValidationError) as error:
            reservation_create(customer=customer, book_id=book_id, days=1)
        assert list(error.value.message_dict) == ["book"]
    assert not Reservation.objects.exists()


def test_a_second_active_reservation_of_the_same_book_is_refused():
    book = BookFactory(total_units=2)
    customer = member()
    reserve(customer, book)
    with pytest.raises(AlreadyReserved):
        reserve(customer, book)


def test_waiting_twice_for_the_same_book_is_refused():
    book, _ = occupied_book()
    customer = member()
    reserve(customer, book)
    with pytest.raises(AlreadyQueued):
        reserve(customer, book)


@pytest.mark.parametrize(("plan", "limit"), [(Plan.PLUS, 5), (Plan.PREMIUM, 10)])
def test_the_plan_limit_of_active_reservations_is_enforced(plan, limit):
    customer = member(plan, balance=200_000)
    for _ in range(limit):
        reserve(customer, BookFactory(total_units=1))
    with pytest.raises(ReservationLimitReached) as error:
        reserve(customer, BookFactory(total_units=1))
    assert error.value.extra["limit"] == limit


def test_a_due_reservation_does_not_count_against_the_limit():
    customer = member(balance=200_000)
    first = reserve(customer, BookFactory(total_units=1)).reservation
    for _ in range(4):
        reserve(customer, BookFactory(total_units=1))
    Reservation.objects.filter(pk=first.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert reserve(customer, BookFactory(total_units=1)).reservation.is_active


def test_short_wallet_gets_402_with_the_missing_amount_and_nothing_changes():
    book = BookFactory(total_units=1)
    customer = member(balance=2_500)
    with pytest.raises(InsufficientFunds) as error:
        reserve(customer, book, days=3)
    assert error.value.extra == {
        "required_amount": 3_000,
        "balance": 2_500,
        "missing_amount": 500,
        "charge_url": "/api/wallet/charge/?amount=500",
    }
    book.refresh_from_db()
    assert book.available_units == 1
    assert not Reservation.objects.exists()
    assert balance(customer) == 2_500


def test_reserving_settles_the_books_due_reservation_first():
    book, (old,) = occupied_book()
    Reservation.objects.filter(pk=old.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(seconds=1)
    )
    outcome = reserve(member(), book)
    assert outcome.reservation is not None
    old.refresh_from_db()
    assert old.status == ReservationStatus.EXPIRED


# --- scheduled reserve (the queue) ------------------------------------------------------------


def test_no_free_unit_puts_the_customer_in_the_queue_without_charging():
    book, _ = occupied_book()
    customer = member(balance=5_000)

    outcome = reserve(customer, book, days=4)

    assert outcome.reservation is None
    assert outcome.queue_entry.status == QueueStatus.WAITING
    assert outcome.position == 1
    assert balance(customer) == 5_000


def test_joining_the_queue_needs_a_wallet_covering_the_price_now():
    book, _ = occupied_book()
    with pytest.raises(InsufficientFunds):
        reserve(member(balance=3_999), book, days=4)
    assert not QueueEntry.objects.exists()


def test_joining_the_queue_does_not_check_the_limit():
    customer = member(balance=200_000)
    for _ in range(5):
        reserve(customer, BookFactory(total_units=1))
    book, _ = occupied_book()
    assert reserve(customer, book).queue_entry is not None


def test_a_premium_joining_later_is_placed_before_plus_members():
    book, _ = occupied_book()
    reserve(member(Plan.PLUS), book)
    reserve(member(Plan.PLUS), book)
    assert reserve(member(Plan.PREMIUM), book).position == 1
    assert reserve(member(Plan.PLUS), book).position == 4


# --- the release walk -------------------------------------------------------------------------


def test_returning_gives_the_unit_to_the_queue_head_and_charges_them():
    book, (held,) = occupied_book()
    waiter = member(balance=10_000)
    entry = reserve(waiter, book, days=5).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    entry.refresh_from_db()
    book.refresh_from_db()
    assert entry.status == QueueStatus.FULFILLED
    assert entry.reservation.customer == waiter
    assert entry.reservation.days == 5
    assert balance(waiter) == 5_000
    assert book.available_units == 0
    granted = Notification.objects.get(event_key=f"queue_granted:{entry.pk}")
    assert granted.user == waiter.user


def test_returning_with_an_empty_queue_puts_the_unit_back():
    book, (held,) = occupied_book()
    reservation_return(customer=held.customer, reservation_id=held.pk)
    held.refresh_from_db()
    book.refresh_from_db()
    assert held.status == ReservationStatus.RETURNED
    assert held.ended_at is not None
    assert book.available_units == 1


def test_returning_early_refunds_nothing():
    _book, (held,) = occupied_book()
    before = balance(held.customer)
    reservation_return(customer=held.customer, reservation_id=held.pk)
    assert balance(held.customer) == before


def test_premium_who_queued_later_is_served_before_plus_who_queued_earlier():
    book, (held,) = occupied_book()
    plus = reserve(member(Plan.PLUS), book).queue_entry
    premium = reserve(member(Plan.PREMIUM), book).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    premium.refresh_from_db()
    plus.refresh_from_db()
    assert premium.status == QueueStatus.FULFILLED
    assert plus.status == QueueStatus.WAITING


def test_within_a_plan_the_earlier_queued_is_served_first():
    book, (held,) = occupied_book()
    first = reserve(member(), book).queue_entry
    second = reserve(member(), book).queue_entry
    QueueEntry.objects.filter(pk=second.pk).update(queued_at=first.queued_at - timedelta(hours=1))

    reservation_return(customer=held.customer, reservation_id=held.pk)

    assert QueueEntry.objects.get(pk=second.pk).status == QueueStatus.FULFILLED
    assert QueueEntry.objects.get(pk=first.pk).status == QueueStatus.WAITING


def test_a_premium_who_lapsed_to_plus_while_waiting_is_served_as_plus():
    book, (held,) = occupied_book()
    plus = reserve(member(Plan.PLUS), book).queue_entry
    lapsed_customer = member(Plan.PREMIUM)
    lapsed = reserve(lapsed_customer, book, days=5).queue_entry
    lapsed_customer.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))
    give_plan(lapsed_customer, Plan.PLUS)

    reservation_return(customer=held.customer, reservation_id=held.pk)

    assert QueueEntry.objects.get(pk=plus.pk).status == QueueStatus.FULFILLED
    assert QueueEntry.objects.get(pk=lapsed.pk).status == QueueStatus.WAITING


def test_a_lapsed_premium_asking_more_days_than_plus_allows_is_dropped_and_next_served():
    book, (held,) = occupied_book()
    lapsed_customer = member(Plan.PREMIUM)
    lapsed = reserve(lapsed_customer, book, days=10).queue_entry
    lapsed_customer.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))
    give_plan(lapsed_customer, Plan.PLUS)
    QueueEntry.objects.filter(pk=lapsed.pk).update(queued_at=timezone.now() - timedelta(days=1))
    nxt = reserve(member(), book).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    lapsed.refresh_from_db()
    assert (lapsed.status, lapsed.drop_reason) == (QueueStatus.DROPPED, "invalid_duration")
    assert QueueEntry.objects.get(pk=nxt.pk).status == QueueStatus.FULFILLED


def test_a_waiter_whose_membership_ended_is_dropped_and_told_why():
    book, (held,) = occupied_book()
    lapsed_customer = member(Plan.PLUS)
    lapsed = reserve(lapsed_customer, book).queue_entry
    lapsed_customer.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))
    nxt = reserve(member(), book).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    lapsed.refresh_from_db()
    assert (lapsed.status, lapsed.drop_reason) == (QueueStatus.DROPPED, "membership_required")
    assert lapsed.resolved_at is not None
    dropped = Notification.objects.get(event_key=f"queue_dropped:{lapsed.pk}")
    assert "membership" in dropped.message
    assert QueueEntry.objects.get(pk=nxt.pk).status == QueueStatus.FULFILLED


def test_a_waiter_at_the_limit_is_dropped_and_the_next_served():
    book, (held,) = occupied_book()
    busy = member(balance=200_000)
    busy_entry = reserve(busy, book).queue_entry
    for _ in range(5):
        reserve(busy, BookFactory(total_units=1))
    nxt = reserve(member(), book).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    busy_entry.refresh_from_db()
    assert busy_entry.drop_reason == "reservation_limit_reached"
    assert QueueEntry.objects.get(pk=nxt.pk).status == QueueStatus.FULFILLED


def test_a_waiter_short_of_money_is_dropped_and_the_next_served():
    book, (held,) = occupied_book()
    poor = member(balance=3_000)
    poor_entry = reserve(poor, book, days=3).queue_entry
    reserve(poor, BookFactory(total_units=1), days=1)  # spends 1,000: 2,000 left < 3,000
    nxt = reserve(member(), book).queue_entry

    reservation_return(customer=held.customer, reservation_id=held.pk)

    poor_entry.refresh_from_db()
    assert poor_entry.drop_reason == "insufficient_funds"
    assert balance(poor) == 2_000
    assert QueueEntry.objects.get(pk=nxt.pk).status == QueueStatus.FULFILLED


def test_when_nobody_qualifies_everyone_is_dropped_and_the_unit_goes_back():
    book, (held,) = occupied_book()
    entries = []
    for _ in range(3):
        customer = member(Plan.PLUS)
        entries.append(reserve(customer, book).queue_entry)
        customer.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))

    reservation_return(customer=held.customer, reservation_id=held.pk)

    book.refresh_from_db()
    assert book.available_units == 1
    assert set(QueueEntry.objects.values_list("status", flat=True)) == {QueueStatus.DROPPED}


def test_the_walk_serves_one_waiter_per_released_unit():
    book, held = occupied_book(units=2)
    entries = [reserve(member(), book).queue_entry for _ in range(3)]
    for reservation in held:
        Reservation.objects.filter(pk=reservation.pk).update(
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(seconds=1),
        )
    assert settle_due_reservations() == 2
    statuses = [QueueEntry.objects.get(pk=e.pk).status for e in entries]
    assert statuses == [QueueStatus.FULFILLED, QueueStatus.FULFILLED, QueueStatus.WAITING]


# --- leave, renew, return errors, admin ---------------------------------------------------------


def test_leaving_the_queue_marks_the_entry_left_and_skips_it():
    book, (held,) = occupied_book()
    customer = member()
    entry = reserve(customer, book).queue_entry

    queue_leave(customer=customer, entry_id=entry.pk)
    reservation_return(customer=held.customer, reservation_id=held.pk)

    entry.refresh_from_db()
    assert entry.status == QueueStatus.LEFT
    book.refresh_from_db()
    assert book.available_units == 1


def test_leaving_twice_is_a_conflict():
    book, _ = occupied_book()
    customer = member()
    entry = reserve(customer, book).queue_entry
    queue_leave(customer=customer, entry_id=entry.pk)
    with pytest.raises(QueueEntryNotWaiting):
        queue_leave(customer=customer, entry_id=entry.pk)


def test_renewal_extends_and_charges_the_extra_days():
    book = BookFactory(total_units=1)
    customer = member(balance=10_000)
    r = reserve(customer, book, days=3).reservation
    old_end = r.ends_at

    renewed = reservation_renew(customer=customer, reservation_id=r.pk, days=7)

    assert renewed.days == 7
    assert renewed.ends_at == old_end + timedelta(days=4)
    assert renewed.price == 7_000
    assert balance(customer) == 3_000


def test_renewal_is_blocked_while_someone_waits():
    book, (held,) = occupied_book()
    reserve(member(), book)
    with pytest.raises(RenewalBlocked):
        reservation_renew(customer=held.customer, reservation_id=held.pk, days=5)


def test_renewal_beyond_the_plan_maximum_is_an_invalid_duration():
    _book, (held,) = occupied_book()
    with pytest.raises(InvalidDuration):
        reservation_renew(customer=held.customer, reservation_id=held.pk, days=8)


@pytest.mark.parametrize("days", [3, 2])
def test_shortening_or_keeping_the_length_is_refused(days):
    _book, (held,) = occupied_book()
    with pytest.raises(ShorteningRefused):
        reservation_renew(customer=held.customer, reservation_id=held.pk, days=days)


def test_renewal_short_of_money_changes_nothing():
    book = BookFactory(total_units=1)
    customer = member(balance=3_500)
    r = reserve(customer, book, days=3).reservation
    with pytest.raises(InsufficientFunds):
        reservation_renew(customer=customer, reservation_id=r.pk, days=5)
    r.refresh_from_db()
    assert (r.days, balance(customer)) == (3, 500)


def test_returning_an_ended_reservation_is_a_conflict():
    _book, (held,) = occupied_book()
    reservation_return(customer=held.customer, reservation_id=held.pk)
    with pytest.raises(ReservationNotActive):
        reservation_return(customer=held.customer, reservation_id=held.pk)


def test_returning_a_reservation_whose_time_passed_is_a_conflict_as_expired():
    _book, (held,) = occupied_book()
    Reservation.objects.filter(pk=held.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ReservationNotActive) as error:
        reservation_return(customer=held.customer, reservation_id=held.pk)
    assert error.value.extra == {"status": ReservationStatus.EXPIRED}


def test_returning_settles_the_books_other_due_reservation_first():
    book, (due, held) = occupied_book(units=2)
    waiter = member()
    reserve(waiter, book)
    Reservation.objects.filter(pk=due.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(seconds=1)
    )

    reservation_return(customer=held.customer, reservation_id=held.pk)

    due.refresh_from_db()
    held.refresh_from_db()
    assert (due.status, held.status) == (ReservationStatus.EXPIRED, ReservationStatus.RETURNED)
    assert Reservation.objects.get(customer=waiter).is_active  # the expired unit went to the queue
    book.refresh_from_db()
    assert book.available_units == 1  # the returned one, nobody left waiting


@pytest.mark.parametrize("reservation_id", [0, 999_999, 2**70])
def test_an_unknown_reservation_is_not_found(reservation_id):
    with pytest.raises(NotFound):
        reservation_return(customer=member(), reservation_id=reservation_id)


def test_another_members_reservation_is_not_found():
    _book, (held,) = occupied_book()
    with pytest.raises(NotFound):
        reservation_return(customer=member(), reservation_id=held.pk)


def test_admin_end_releases_the_unit_to_the_queue_and_tells_the_holder():
    book, (held,) = occupied_book()
    entry = reserve(member(), book).queue_entry

    ended = admin_end_reservation(reservation_id=held.pk, by=AdminFactory())

    stored = Reservation.objects.get(pk=held.pk)
    assert stored.status == ReservationStatus.ENDED_BY_ADMIN
    fields = ("pk", "book_id", "days", "starts_at", "ends_at", "ended_at", "created_at", "price")
    assert [getattr(ended, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert ended.book.title == book.title
    assert QueueEntry.objects.get(pk=entry.pk).status == QueueStatus.FULFILLED
    told = Notification.objects.get(event_key=f"reservation_ended_by_admin:{held.pk}")
    assert told.user_id == held.customer.user_id


def test_admin_removes_a_waiter_who_is_told():
    book, _ = occupied_book()
    entry = reserve(member(), book).queue_entry
    admin_remove_queue_entry(entry_id=entry.pk, by=AdminFactory())
    entry.refresh_from_db()
    assert entry.status == QueueStatus.REMOVED_BY_ADMIN
    assert Notification.objects.filter(event_key=f"queue_removed_by_admin:{entry.pk}").exists()


@pytest.mark.parametrize("use_case", ["return", "renew"])
def test_a_member_holding_the_same_book_cannot_touch_my_reservation(use_case):
    mine, theirs = member(), member()
    book = BookFactory(total_units=2)
    my_reservation = reservation_create(customer=mine, book_id=book.pk, days=3).reservation
    reservation_create(customer=theirs, book_id=book.pk, days=3)

    with pytest.raises(NotFound):
        if use_case == "return":
            reservation_return(customer=theirs, reservation_id=my_reservation.pk)
        else:
            reservation_renew(customer=theirs, reservation_id=my_reservation.pk, days=5)

    my_reservation.refresh_from_db()
    assert (my_reservation.status, my_reservation.days) == (ReservationStatus.ACTIVE, 3)


def test_a_closed_account_reached_by_the_walk_is_dropped_and_the_next_waiter_served():
    from accounts.models import User

    holder, closed, next_in_line = member(), member(), member()
    book = BookFactory(total_units=1)
    lent = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    reservation_create(customer=closed, book_id=book.pk, days=3)
    reservation_create(customer=next_in_line, book_id=book.pk, days=3)
    # The account was closed after it queued (deactivation leaves its queues right after; the
    # walk must not serve it in between).
    User.objects.filter(pk=closed.user_id).update(is_active=False)
    balance_before = Wallet.objects.get(customer=closed).balance

    reservation_return(customer=holder, reservation_id=lent.pk)

    dropped = QueueEntry.objects.get(customer=closed, book=book)
    assert (dropped.status, dropped.drop_reason) == (QueueStatus.DROPPED, "account_closed")
    assert Wallet.objects.get(customer=closed).balance == balance_before
    assert (
        Reservation.objects.get(customer=next_in_line, book=book).status == ReservationStatus.ACTIVE
    )
