"""The reservations admin: holders and the live queue on the book page, "End now" and "Remove"
through the reservation service after a confirmation page, and no direct editing of history."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Plan
from accounts.tests.factories import UserFactory, member
from catalog.tests.factories import BookFactory
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_book():
    """One unit held by a member; a plus member queued first, a premium member queued later."""
    book = BookFactory(total_units=1)
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    plus_waiter, premium_waiter = member(Plan.PLUS), member(Plan.PREMIUM)
    earlier = timezone.now() - timedelta(hours=2)
    plus_entry = reservation_create(
        customer=plus_waiter, book_id=book.pk, days=2, now=earlier
    ).queue_entry
    premium_entry = reservation_create(customer=premium_waiter, book_id=book.pk, days=4).queue_entry
    return {
        "book": book,
        "reservation": held,
        "plus_entry": plus_entry,
        "premium_entry": premium_entry,
    }


def messages_of(response, level_tag: str) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == level_tag]


def book_url(book) -> str:
    return reverse("admin:catalog_book_change", args=[book.pk])


def end_url(reservation) -> str:
    return reverse("admin:reservations_reservation_end", args=[reservation.pk])


def remove_url(entry) -> str:
    return reverse("admin:reservations_queueentry_remove", args=[entry.pk])


# --- the book page --------------------------------------------------------------------------


def test_the_book_page_lists_holders_and_the_queue_in_the_order_it_would_be_served(
    staff_client, busy_book
):
    response = staff_client.get(book_url(busy_book["book"]))
    assert response.status_code == 200
    data = response.context["holders_and_queue"]
    assert data.holders == [busy_book["reservation"]]
    # Premium comes first although it queued later.
    assert [(e.pk, e.position, e.queue_plan) for e in data.queue] == [
        (busy_book["premium_entry"].pk, 1, "premium"),
        (busy_book["plus_entry"].pk, 2, "plus"),
    ]
    html = response.content.decode()
    premium_email = busy_book["premium_entry"].customer.user.email
    plus_email = busy_book["plus_entry"].customer.user.email
    assert html.index(premium_email) < html.index(plus_email)
    assert f"{end_url(busy_book['reservation'])}?next=" in html
    assert f"{remove_url(busy_book['plus_entry'])}?next=" in html


def test_the_book_page_says_so_when_nobody_holds_or_waits(staff_client):
    response = staff_client.get(book_url(BookFactory(total_units=1)))
    assert b"Nobody holds this book right now." in response.content
    assert b"Nobody is waiting for this book." in response.content


def test_the_book_page_shows_no_reservation_that_has_already_expired(staff_client, busy_book):
    Reservation.objects.filter(pk=busy_book["reservation"].pk).update(
        starts_at=timezone.now() - timedelta(days=5), ends_at=timezone.now() - timedelta(days=1)
    )
    data = staff_client.get(book_url(busy_book["book"])).context["holders_and_queue"]
    # Settled on read: the premium waiter now holds the book.
    assert [r.customer_id for r in data.holders] == [busy_book["premium_entry"].customer_id]
    assert [e.pk for e in data.queue] == [busy_book["plus_entry"].pk]


# --- ending a reservation -------------------------------------------------------------------


def test_end_now_asks_for_confirmation_before_changing_anything(staff_client, busy_book):
    reservation = busy_book["reservation"]
    response = staff_client.get(end_url(reservation))
    assert response.status_code == 200
    assert b"End this reservation now?" in response.content
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ACTIVE


def test_confirming_end_now_ends_the_reservation_and_the_queue_head_becomes_a_holder(
    staff_client, busy_book
):
    reservation, book = busy_book["reservation"], busy_book["book"]
    response = staff_client.post(end_url(reservation), {"confirm": "yes", "next": book_url(book)})
    assert response.status_code == 302
    assert response["Location"] == book_url(book)
    assert messages_of(response, "success") == [
        f"Ended reservation #{reservation.pk} of {reservation.customer} for “{book}”."
    ]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ENDED_BY_ADMIN
    premium_entry = QueueEntry.objects.get(pk=busy_book["premium_entry"].pk)
    assert premium_entry.status == QueueStatus.FULFILLED
    assert premium_entry.reservation.status == ReservationStatus.ACTIVE
    book.refresh_from_db()
    assert book.available_units == 0


def test_ending_a_reservation_that_already_ended_changes_nothing_and_says_why(
    staff_client, busy_book
):
    reservation = busy_book["reservation"]
    staff_client.post(end_url(reservation), {"confirm": "yes"}, follow=True)
    response = staff_client.post(end_url(reservation), {"confirm": "yes"})
    assert messages_of(response, "error") == ["This reservation has already ended."]
    assert Reservation.objects.filter(status=ReservationStatus.ENDED_BY_ADMIN).count() == 1


def test_end_now_never_redirects_to_another_site(staff_client, busy_book):
    reservation = busy_book["reservation"]
    response = staff_client.post(
        end_url(reservation), {"confirm": "yes", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse(
        "admin:reservations_reservation_change", args=[reservation.pk]
    )


def test_the_reservation_page_offers_end_now_only_while_it_is_active(staff_client, busy_book):
    reservation = busy_book["reservation"]
    change_url = reverse("admin:reservations_reservation_change", args=[reservation.pk])
    assert end_url(reservation).encode() in staff_client.get(change_url).content
    staff_client.post(end_url(reservation), {"confirm": "yes"})
    assert end_url(reservation).encode() not in staff_client.get(change_url).content


def test_the_end_now_action_asks_then_ends_every_selected_active_reservation(
    staff_client, busy_book
):
    reservation = busy_book["reservation"]
    other = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=2
    ).reservation
    changelist = reverse("admin:reservations_reservation_changelist")
    selection = {"action": "end_now", "_selected_action": [reservation.pk, other.pk]}

    asked = staff_client.post(changelist, {**selection, "index": 0})
    assert asked.status_code == 200
    assert b"End this reservation now?" in asked.content
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 2

    done = staff_client.post(changelist, {**selection, "confirm": "yes"})
    assert done.status_code == 302
    assert messages_of(done, "success") == ["Ended 2 reservation(s)."]
    assert set(
        Reservation.objects.filter(pk__in=[reservation.pk, other.pk]).values_list(
            "status", flat=True
        )
    ) == {ReservationStatus.ENDED_BY_ADMIN}


# --- removing a waiter ----------------------------------------------------------------------


def test_confirming_remove_takes_the_member_off_the_queue_and_tells_them(staff_client, busy_book):
    entry, book = busy_book["plus_entry"], busy_book["book"]
    asked = staff_client.get(remove_url(entry))
    assert b"Take this member off the book" in asked.content
    response = staff_client.post(remove_url(entry), {"confirm": "yes", "next": book_url(book)})
    assert response["Location"] == book_url(book)
    assert messages_of(response, "success") == [
        f"Removed {entry.customer} from the queue for “{book}”."
    ]
    entry.refresh_from_db()
    assert entry.status == QueueStatus.REMOVED_BY_ADMIN
    assert entry.customer.user.notifications.get().kind == "queue_removed_by_admin"
    queue = staff_client.get(book_url(book)).context["holders_and_queue"].queue
    assert [e.pk for e in queue] == [busy_book["premium_entry"].pk]


def test_the_remove_action_skips_entries_that_are_no_longer_waiting(staff_client, busy_book):
    plus_entry, premium_entry = busy_book["plus_entry"], busy_book["premium_entry"]
    staff_client.post(remove_url(plus_entry), {"confirm": "yes"})
    response = staff_client.post(
        reverse("admin:reservations_queueentry_changelist"),
        {
            "action": "remove_from_queue",
            "_selected_action": [plus_entry.pk, premium_entry.pk],
            "confirm": "yes",
        },
    )
    assert messages_of(response, "success")[-1] == "Removed 1 member(s) from their queue."
    assert any("removed by admin" in text for text in messages_of(response, "info"))
    premium_entry.refresh_from_db()
    assert premium_entry.status == QueueStatus.REMOVED_BY_ADMIN


# --- permissions and read-only history ------------------------------------------------------


def test_staff_without_the_change_permission_cannot_end_or_remove(client, busy_book):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_reservation", "view_queueentry"])
    )
    client.force_login(viewer)
    assert client.post(end_url(busy_book["reservation"]), {"confirm": "yes"}).status_code == 403
    assert client.post(remove_url(busy_book["plus_entry"]), {"confirm": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:reservations_reservation_changelist"))
    assert b"end_now" not in changelist.content
    busy_book["reservation"].refresh_from_db()
    assert busy_book["reservation"].status == ReservationStatus.ACTIVE


def test_a_reservation_page_has_no_input_for_its_dates_or_any_other_field(staff_client, busy_book):
    reservation = busy_book["reservation"]
    response = staff_client.get(
        reverse("admin:reservations_reservation_change", args=[reservation.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ["starts_at", "ends_at", "days", "price", "status", "customer", "book"]:
        assert f'name="{field}' not in html
    assert 'name="_save"' not in html


def test_posting_new_dates_to_a_reservation_is_forbidden_and_changes_nothing(
    staff_client, busy_book
):
    reservation = busy_book["reservation"]
    before = Reservation.objects.values().get(pk=reservation.pk)
    later = (reservation.ends_at + timedelta(days=30)).strftime("%Y-%m-%d")
    response = staff_client.post(
        reverse("admin:reservations_reservation_change", args=[reservation.pk]),
        {"ends_at_0": later, "ends_at_1": "12:00:00", "days": 40, "status": "returned"},
    )
    assert response.status_code == 403
    assert Reservation.objects.values().get(pk=reservation.pk) == before


@pytest.mark.parametrize("model_name", ["reservation", "queueentry"])
def test_reservation_history_cannot_be_added_or_deleted_in_the_admin(
    staff_client, busy_book, model_name
):
    obj = busy_book["reservation"] if model_name == "reservation" else busy_book["plus_entry"]
    add = staff_client.post(reverse(f"admin:reservations_{model_name}_add"), {})
    delete = staff_client.post(
        reverse(f"admin:reservations_{model_name}_delete", args=[obj.pk]), {"post": "yes"}
    )
    assert (add.status_code, delete.status_code) == (403, 403)
    assert type(obj).objects.filter(pk=obj.pk).exists()
    changelist = staff_client.get(reverse(f"admin:reservations_{model_name}_changelist"))
    assert b"delete_selected" not in changelist.content


def test_posting_to_a_queue_entry_page_is_forbidden_and_changes_nothing(staff_client, busy_book):
    entry = busy_book["plus_entry"]
    response = staff_client.post(
        reverse("admin:reservations_queueentry_change", args=[entry.pk]),
        {"status": "fulfilled", "days": 9},
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.status, entry.days) == (QueueStatus.WAITING, 2)


def test_reservation_filters_narrow_the_list_by_status_book_and_date(staff_client, busy_book):
    book = busy_book["book"]
    ended = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=2
    ).reservation
    staff_client.post(end_url(ended), {"confirm": "yes"})
    changelist = reverse("admin:reservations_reservation_changelist")

    def rows(query: str) -> list:
        response = staff_client.get(f"{changelist}?{query}")
        assert response.status_code == 200, query
        return list(response.context["cl"].result_list)

    assert rows("status__exact=active") == [busy_book["reservation"]]
    assert rows("status__exact=ended_by_admin") == [ended]
    assert rows(f"book__id__exact={book.pk}") == [busy_book["reservation"]]
    today = timezone.now()
    assert len(rows(f"starts_at__year={today.year}&starts_at__month={today.month}")) == 2
    assert rows("starts_at__year=2999") == []


def test_queue_entry_filters_narrow_the_list_by_status_and_book(staff_client, busy_book):
    changelist = reverse("admin:reservations_queueentry_changelist")
    waiting = staff_client.get(f"{changelist}?status__exact=waiting").context["cl"].result_list
    assert {e.pk for e in waiting} == {busy_book["plus_entry"].pk, busy_book["premium_entry"].pk}
    other_book = BookFactory(total_units=1)
    reservation_create(customer=member(), book_id=other_book.pk, days=2)
    other = reservation_create(customer=member(), book_id=other_book.pk, days=2).queue_entry
    response = staff_client.get(f"{changelist}?book__id__exact={other_book.pk}")
    assert list(response.context["cl"].result_list) == [other]


def test_searching_reservations_by_member_email_finds_only_theirs(staff_client, busy_book):
    holder_email = busy_book["reservation"].customer.user.email
    other = reservation_create(
        customer=member(), book_id=BookFactory(total_units=1).pk, days=2
    ).reservation
    response = staff_client.get(
        reverse("admin:reservations_reservation_changelist") + f"?q={holder_email}"
    )
    assert list(response.context["cl"].result_list) == [busy_book["reservation"]]
    assert other not in response.context["cl"].result_list


def test_the_book_page_shows_each_waiters_estimate_and_a_suspension(staff_client, busy_book):
    until = timezone.now() + timedelta(days=3)
    QueueEntry.objects.get(pk=busy_book["plus_entry"].pk).suspend(until=until)
    response = staff_client.get(book_url(busy_book["book"]))
    queue = response.context["holders_and_queue"].queue
    assert all(entry.estimated_available_at for entry in queue)
    html = response.content.decode()
    assert "Estimated available" in html
    for entry in queue:
        assert entry.estimated_available_at.strftime("%Y-%m-%d %H:%M") in html
    assert f"suspended until {until:%Y-%m-%d %H:%M} UTC" in html
