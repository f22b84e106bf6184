"""Suspend and keep your place: the walk skips a suspended entry, never drops it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Plan
from accounts.tests import factories
from accounts.tests.factories import UserFactory
from catalog.models import Book
from catalog.tests.factories import BookFactory
from reservations.models import QueueEntry, QueueStatus
from reservations.services import (
    queue_leave,
    queue_resume,
    queue_suspend,
    reservation_create,
    reservation_return,
    settle_due_reservations,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def member(plan: str = Plan.PLUS):
    """A member whose plan covers the last ten days and the next fifty."""
    return factories.member(plan, days=60, starts_at=timezone.now() - 10 * DAY)


def held_book(now):
    book = BookFactory(total_units=1)
    holder = member()
    reservation = reservation_create(customer=holder, book_id=book.pk, days=5, now=now).reservation
    return book, holder, reservation


def join(book, plan=Plan.PLUS, *, now, days=2):
    customer = member(plan)
    return reservation_create(customer=customer, book_id=book.pk, days=days, now=now).queue_entry


def status_of(entry) -> str:
    entry.refresh_from_db()
    return entry.status


def client_for(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


# --- the walk ---------------------------------------------------------------------------------


def test_a_suspended_premium_member_is_skipped_while_suspended_and_served_first_after():
    t0 = timezone.now() - timedelta(hours=1)
    book, holder, reservation = held_book(t0)
    premium = join(book, Plan.PREMIUM, now=t0)
    early_plus = join(book, now=t0 + timedelta(seconds=1), days=5)
    late_plus = join(book, now=t0 + timedelta(seconds=2))
    queue_suspend(customer=premium.customer, entry_id=premium.pk, until=t0 + 2 * DAY, now=t0)

    reservation_return(customer=holder, reservation_id=reservation.pk, now=t0 + DAY)
    assert (status_of(premium), status_of(early_plus)) == ("waiting", "fulfilled")
    premium.refresh_from_db()
    assert premium.queued_at == t0  # kept its place

    served = early_plus.reservation
    reservation_return(customer=early_plus.customer, reservation_id=served.pk, now=t0 + 3 * DAY)
    assert (status_of(premium), status_of(late_plus)) == ("fulfilled", "waiting")


def test_a_suspension_ending_exactly_at_the_release_no_longer_skips():
    t0 = timezone.now() - timedelta(hours=1)
    book, holder, reservation = held_book(t0)
    first = join(book, now=t0)
    second = join(book, now=t0 + timedelta(seconds=1))
    queue_suspend(customer=first.customer, entry_id=first.pk, until=t0 + DAY, now=t0)
    reservation_return(customer=holder, reservation_id=reservation.pk, now=t0 + DAY)
    assert (status_of(first), status_of(second)) == ("fulfilled", "waiting")


def test_a_suspended_entry_counts_in_the_positions_of_those_behind_it():
    t0 = timezone.now() - timedelta(hours=1)
    book, _, _ = held_book(t0)
    first = join(book, now=t0)
    queue_suspend(customer=first.customer, entry_id=first.pk, until=t0 + DAY, now=t0)
    outcome = reservation_create(customer=member(), book_id=book.pk, days=1)
    assert outcome.position == 2


def test_a_unit_freed_while_everyone_is_suspended_goes_to_the_shelf_then_to_the_queue_first():
    t0 = timezone.now() - 3 * DAY
    book, holder, reservation = held_book(t0)
    waiting = join(book, now=t0)
    queue_suspend(customer=waiting.customer, entry_id=waiting.pk, until=t0 + 2 * DAY, now=t0)
    reservation_return(customer=holder, reservation_id=reservation.pk, now=t0 + DAY)
    book.refresh_from_db()
    assert (book.available_units, status_of(waiting)) == (1, "waiting")

    # after the suspension ended, a newcomer touching the book finds the unit already promised
    outcome = reservation_create(customer=member(), book_id=book.pk, days=1)
    assert outcome.queue_entry is not None
    assert status_of(waiting) == "fulfilled"
    book.refresh_from_db()
    assert book.available_units == 0


def test_the_periodic_settlement_serves_an_entry_whose_suspension_ended():
    t0 = timezone.now() - 3 * DAY
    book, holder, reservation = held_book(t0)
    waiting = join(book, now=t0)
    queue_suspend(customer=waiting.customer, entry_id=waiting.pk, until=t0 + 2 * DAY, now=t0)
    reservation_return(customer=holder, reservation_id=reservation.pk, now=t0 + DAY)
    settle_due_reservations(now=t0 + DAY + timedelta(hours=1))
    assert status_of(waiting) == "waiting"
    settle_due_reservations()
    assert status_of(waiting) == "fulfilled"
    assert Book.objects.get(pk=book.pk).available_units == 0


def test_resuming_with_a_unit_on_the_shelf_serves_the_entry_at_once():
    t0 = timezone.now() - DAY
    book, holder, reservation = held_book(t0)
    waiting = join(book, now=t0)
    queue_suspend(customer=waiting.customer, entry_id=waiting.pk, until=t0 + 5 * DAY, now=t0)
    reservation_return(customer=holder, reservation_id=reservation.pk, now=t0)
    entry = queue_resume(customer=waiting.customer, entry_id=waiting.pk)
    assert (entry.status, entry.suspended_until) == (QueueStatus.FULFILLED, None)
    assert Book.objects.get(pk=book.pk).available_units == 0


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def my_entry():
    book, _, _ = held_book(timezone.now() - timedelta(minutes=5))
    join(book, now=timezone.now() - timedelta(minutes=4))
    return join(book, now=timezone.now() - timedelta(minutes=3))


def test_suspending_answers_200_with_the_entry_still_in_its_place(my_entry):
    until = timezone.now() + 10 * DAY
    response = client_for(my_entry.customer).post(
        f"/api/reservations/queue/{my_entry.pk}/suspend/", {"until": until.isoformat()}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["position"]) == ("waiting", 2)
    my_entry.refresh_from_db()
    assert my_entry.suspended_until == until
    assert body["estimated_available_at"] is not None


@pytest.mark.parametrize(
    ("until", "code"),
    [
        (lambda now: now - timedelta(minutes=1), "invalid_suspension"),
        (lambda now: now + 30 * DAY + timedelta(minutes=5), "invalid_suspension"),
        (lambda now: "next tuesday", "invalid"),
        (lambda now: None, "invalid"),
    ],
)
def test_a_bad_until_is_a_400_naming_the_field_and_changes_nothing(my_entry, until, code):
    value = until(timezone.now())
    payload = (
        {} if value is None else {"until": value if isinstance(value, str) else value.isoformat()}
    )
    response = client_for(my_entry.customer).post(
        f"/api/reservations/queue/{my_entry.pk}/suspend/", payload, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert "until" in response.json()["errors"]
    my_entry.refresh_from_db()
    assert my_entry.suspended_until is None


@pytest.mark.parametrize("action", ["suspend", "resume"])
def test_another_members_entry_is_404(my_entry, action):
    payload = {"until": (timezone.now() + DAY).isoformat()} if action == "suspend" else {}
    response = client_for(member()).post(
        f"/api/reservations/queue/{my_entry.pk}/{action}/", payload
    )
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["suspend", "resume"])
def test_an_entry_no_longer_waiting_is_409(my_entry, action):
    queue_leave(customer=my_entry.customer, entry_id=my_entry.pk)
    payload = {"until": (timezone.now() + DAY).isoformat()} if action == "suspend" else {}
    response = client_for(my_entry.customer).post(
        f"/api/reservations/queue/{my_entry.pk}/{action}/", payload
    )
    assert (response.status_code, response.json()["code"]) == (409, "queue_entry_not_waiting")


def test_a_user_without_a_member_profile_gets_404():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    assert client.post("/api/reservations/queue/1/resume/").status_code == 404


def test_suspend_needs_a_token(my_entry):
    assert APIClient().post(f"/api/reservations/queue/{my_entry.pk}/resume/").status_code == 401


def test_resuming_clears_the_suspension_and_answers_200(my_entry):
    queue_suspend(customer=my_entry.customer, entry_id=my_entry.pk, until=timezone.now() + DAY)
    response = client_for(my_entry.customer).post(f"/api/reservations/queue/{my_entry.pk}/resume/")
    assert response.status_code == 200
    assert (response.json()["suspended_until"], response.json()["position"]) == (None, 2)
    assert QueueEntry.objects.get(pk=my_entry.pk).suspended_until is None


def test_the_queue_list_shows_the_suspension(my_entry):
    until = timezone.now() + 3 * DAY
    queue_suspend(customer=my_entry.customer, entry_id=my_entry.pk, until=until)
    body = client_for(my_entry.customer).get("/api/reservations/queue/").json()
    (entry,) = body["results"]
    assert entry["suspended_until"].replace("Z", "+00:00") == until.isoformat()
