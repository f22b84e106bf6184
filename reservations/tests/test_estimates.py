"""Wait-time estimates: hand-worked cases, a brute-force model, and the endpoints showing them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Plan
from accounts.tests.factories import AdminFactory, member
from catalog.tests.factories import BookFactory
from reservations.estimates import Waiter, simulate_starts
from reservations.models import QueueEntry
from reservations.selectors import (
    book_holders_and_queue,
    customer_queue_with_positions,
    queue_entries_with_estimates,
    reservation_quote,
)
from reservations.services import queue_suspend, reservation_create

NOW = datetime(2030, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def days(n: float) -> datetime:
    return NOW + n * DAY


def keeps(n: int, suspended_until: datetime | None = None) -> Waiter:
    return Waiter(keeps_for=n * DAY, suspended_until=suspended_until)


# --- the simulation, worked by hand ---------------------------------------------------------


def test_two_held_units_reach_positions_one_units_and_units_plus_one_in_turn():
    # units free at day 1 and day 4; everyone keeps a unit 2 days. Position 1 takes the day-1
    # unit (free again at day 3), position 2 (= units) takes that same unit at day 3, position 3
    # (= units + 1) takes the day-4 unit.
    starts = simulate_starts(
        now=NOW, unit_free_at=[days(1), days(4)], waiters=[keeps(2), keeps(2), keeps(2)]
    )
    assert starts == [days(1), days(3), days(4)]


def test_a_unit_on_the_shelf_reaches_the_first_entry_now():
    starts = simulate_starts(now=NOW, unit_free_at=[NOW, days(5)], waiters=[keeps(3), keeps(3)])
    assert starts == [NOW, days(3)]


def test_moments_already_past_count_as_now():
    assert simulate_starts(now=NOW, unit_free_at=[days(-2)], waiters=[keeps(1)]) == [NOW]


def test_a_suspended_entry_ahead_is_skipped_and_served_when_its_suspension_ends():
    # one unit frees at day 1; A (ahead) is suspended until day 2, so B takes the unit for one
    # day and A gets it back at day 2 — in its place, before anyone behind.
    starts = simulate_starts(
        now=NOW, unit_free_at=[days(1)], waiters=[keeps(3, days(2)), keeps(1), keeps(1)]
    )
    assert starts == [days(2), days(1), days(5)]


def test_a_unit_nobody_may_take_waits_on_the_shelf_until_the_first_suspension_ends():
    starts = simulate_starts(
        now=NOW, unit_free_at=[NOW], waiters=[keeps(2, days(5)), keeps(1, days(3))]
    )
    assert starts == [days(5), days(3)]


def test_units_pass_behind_a_suspended_entry_while_it_is_suspended():
    starts = simulate_starts(
        now=NOW, unit_free_at=[days(1)], waiters=[keeps(2, days(3)), keeps(5)], stop_after=0
    )
    assert starts[0] == days(6)


def test_the_simulation_stops_once_the_entry_asked_about_is_served():
    starts = simulate_starts(
        now=NOW, unit_free_at=[NOW], waiters=[keeps(1), keeps(1), keeps(1)], stop_after=1
    )
    assert starts == [NOW, days(1), None]


# --- the simulation against a brute-force model ------------------------------------------------


def brute_force_starts(free_at: list[int], waiters: list[tuple[int, int | None]]) -> list[int]:
    """Hour by hour: every idle unit goes to the first unserved waiter not suspended that hour."""
    free_at = list(free_at)
    starts: list[int | None] = [None] * len(waiters)
    hour = 0
    while None in starts:
        for unit, free in enumerate(free_at):
            if free > hour:
                continue
            for index, (keep, until) in enumerate(waiters):
                if starts[index] is None and (until is None or until <= hour):
                    starts[index] = hour
                    free_at[unit] = hour + keep
                    break
        hour += 1
    return starts


waiter_strategy = st.tuples(
    st.integers(min_value=1, max_value=30), st.none() | st.integers(min_value=1, max_value=80)
)


@settings(max_examples=300, deadline=None)
@given(
    free_at=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
    waiters=st.lists(waiter_strategy, max_size=12),
    data=st.data(),
)
def test_the_simulation_agrees_with_an_hour_by_hour_brute_force(free_at, waiters, data):
    hour = timedelta(hours=1)
    at = lambda h: NOW + h * hour  # noqa: E731
    expected = brute_force_starts(free_at, waiters)
    converted = [
        Waiter(keeps_for=keep * hour, suspended_until=None if until is None else at(until))
        for keep, until in waiters
    ]
    starts = simulate_starts(now=NOW, unit_free_at=[at(h) for h in free_at], waiters=converted)
    assert starts == [at(h) for h in expected]
    if waiters:
        target = data.draw(st.integers(min_value=0, max_value=len(waiters) - 1))
        stopped = simulate_starts(
            now=NOW, unit_free_at=[at(h) for h in free_at], waiters=converted, stop_after=target
        )
        assert stopped[target] == at(expected[target])


# --- the estimates the endpoints show ----------------------------------------------------------


def queued_book(*, hold_days: list[int], queue_days: list[int], now=None):
    """A book whose units are all held (for `hold_days`), with plus members queued in order."""
    now = now or timezone.now() - timedelta(minutes=1)
    book = BookFactory(total_units=len(hold_days))
    holders = [
        reservation_create(customer=member(), book_id=book.pk, days=d, now=now).reservation
        for d in hold_days
    ]
    entries = []
    for offset, d in enumerate(queue_days, start=1):
        customer = member()
        outcome = reservation_create(
            customer=customer, book_id=book.pk, days=d, now=now + offset * timedelta(seconds=1)
        )
        entries.append(outcome)
    return book, holders, entries


@pytest.mark.django_db
def test_holders_view_estimates_positions_one_units_and_units_plus_one():
    book, holders, _ = queued_book(hold_days=[1, 4], queue_days=[2, 2, 2, 1])
    client = APIClient()
    client.force_authenticate(AdminFactory())
    body = client.get(f"/api/admin/books/{book.pk}/holders/").json()
    first, second = sorted(h.ends_at for h in holders)
    estimates = [datetime.fromisoformat(e["estimated_available_at"]) for e in body["queue"]]
    assert [e["position"] for e in body["queue"]] == [1, 2, 3, 4]
    assert estimates == [first, first + 2 * DAY, second, first + 4 * DAY]


@pytest.mark.django_db
def test_the_202_of_a_scheduled_reserve_carries_the_estimate():
    book, holders, _ = queued_book(hold_days=[3], queue_days=[2])
    client = APIClient()
    client.force_authenticate(member().user)
    body = client.post("/api/reservations/", {"book": book.pk, "days": 1}).json()
    assert body["position"] == 2
    assert datetime.fromisoformat(body["estimated_available_at"]) == holders[0].ends_at + 2 * DAY


@pytest.mark.django_db
def test_the_quote_estimates_where_a_premium_newcomer_would_join():
    book, holders, _ = queued_book(hold_days=[3], queue_days=[2, 5])
    now = timezone.now()
    quote = reservation_quote(customer=member(Plan.PREMIUM), book_id=book.pk, days=4, at=now)
    assert (quote.outcome, quote.position) == ("queued", 1)
    assert quote.estimated_available_at == holders[0].ends_at
    plus = reservation_quote(customer=member(), book_id=book.pk, days=4, at=now)
    assert plus.position == 3
    assert plus.estimated_available_at == holders[0].ends_at + 7 * DAY


@pytest.mark.django_db
def test_the_quote_of_an_instant_reserve_has_no_estimate():
    quote = reservation_quote(customer=member(), book_id=BookFactory(total_units=1).pk, days=2)
    assert (quote.outcome, quote.estimated_available_at) == ("instant", None)


@pytest.mark.django_db
def test_the_members_list_and_the_holders_view_agree_even_with_suspensions():
    now = timezone.now()
    book, _, outcomes = queued_book(hold_days=[2, 5], queue_days=[3, 1, 4, 2, 6], now=now)
    suspended = outcomes[1].queue_entry
    queue_suspend(customer=suspended.customer, entry_id=suspended.pk, until=now + 3 * DAY, now=now)
    at = now + timedelta(minutes=1)
    whole = {
        e.pk: e.estimated_available_at for e in book_holders_and_queue(book_id=book.pk, at=at).queue
    }
    for outcome in outcomes:
        customer = outcome.queue_entry.customer
        mine = queue_entries_with_estimates(
            list(customer_queue_with_positions(customer_id=customer.pk, at=at)), at=at
        )
        assert [e.estimated_available_at for e in mine] == [whole[outcome.queue_entry.pk]]
    assert whole[suspended.pk] >= now + 3 * DAY


@pytest.mark.django_db
def test_estimates_for_a_page_of_many_books_cost_two_queries(django_assert_num_queries):
    me = member(balance=1_000_000)
    for _ in range(6):
        book, _, _ = queued_book(hold_days=[2], queue_days=[1, 1])
        reservation_create(customer=me, book_id=book.pk, days=1)
    entries = list(customer_queue_with_positions(customer_id=me.pk))
    with django_assert_num_queries(2):
        queue_entries_with_estimates(entries)
    assert all(e.estimated_available_at for e in entries)
    assert QueueEntry.objects.filter(customer=me).count() == 6
