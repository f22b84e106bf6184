from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Plan
from accounts.tests.conftest import bearer, tokens_for
from accounts.tests.factories import AdminFactory, UserFactory, member
from catalog.models import Book
from catalog.tests.factories import BookFactory
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db


def client_for(customer=None, *, user=None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user or customer.user)
    return client


def occupied_book():
    book = BookFactory(total_units=1)
    holder = member()
    reservation = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    return book, holder, reservation


# --- reserve ----------------------------------------------------------------------------------


def test_reserving_a_free_unit_answers_201_with_the_active_reservation():
    book = BookFactory(total_units=1)
    response = client_for(member()).post("/api/reservations/", {"book": book.pk, "days": 3})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active"
    assert (body["book"], body["days"], body["price"], body["discount_percent"]) == (
        book.pk,
        3,
        3_000,
        0,
    )


def test_reserving_a_book_on_loan_answers_202_with_the_queue_position():
    book, _, _ = occupied_book()
    response = client_for(member()).post("/api/reservations/", {"book": book.pk, "days": 2})
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["position"], body["plan"]) == ("waiting", 1, "plus")
    assert QueueEntry.objects.get(pk=body["id"]).status == QueueStatus.WAITING


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"days": 3}, "book"),
        ({"book": 999_999, "days": 3}, "book"),
        ({"book": 2**70, "days": 3}, "book"),
        ({"book": 0, "days": 3}, "book"),
        ({"book": "one", "days": 3}, "book"),
        ({"book": 1}, "days"),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/reservations/", "/api/reservations/quote/"])
def test_bad_reserve_input_is_a_400_naming_the_field(payload, field, endpoint):
    response = client_for(member()).post(endpoint, payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("endpoint", ["/api/reservations/", "/api/reservations/quote/"])
def test_an_unknown_book_is_a_400_naming_it_before_the_plan_is_checked(endpoint):
    response = client_for(member(Plan.FREE)).post(endpoint, {"book": 999_999, "days": 1})
    assert response.status_code == 400
    assert response.json()["errors"] == {"book": ['Invalid pk "999999" - object does not exist.']}


@pytest.mark.parametrize("days", [8, 14])
def test_days_outside_the_plan_answer_400_invalid_duration(days):
    response = client_for(member()).post(
        "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": days}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_duration")


@pytest.mark.parametrize("days", [0, 15])
def test_days_outside_every_plan_are_a_400_naming_days(days):
    response = client_for(member()).post(
        "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": days}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert list(response.json()["errors"]) == ["days"]


def test_a_free_member_gets_403_membership_required():
    response = client_for(member(Plan.FREE)).post(
        "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 1}
    )
    assert (response.status_code, response.json()["code"]) == (403, "membership_required")


def test_a_user_without_a_member_profile_gets_403():
    response = client_for(user=UserFactory(is_staff=True)).post(
        "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 1}
    )
    assert (response.status_code, response.json()["code"]) == (403, "customer_required")


def test_a_short_wallet_gets_402_with_the_charge_location():
    response = client_for(member(balance=1_000)).post(
        "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 3}
    )
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "insufficient_funds"
    assert (body["required_amount"], body["balance"], body["missing_amount"]) == (
        3_000,
        1_000,
        2_000,
    )
    assert response["Location"] == "/api/wallet/charge/?amount=2000" == body["charge_url"]


def test_reserving_twice_answers_409_already_reserved_then_already_queued():
    book, holder, _ = occupied_book()
    response = client_for(holder).post("/api/reservations/", {"book": book.pk, "days": 1})
    assert (response.status_code, response.json()["code"]) == (409, "already_reserved")
    waiter = member()
    client_for(waiter).post("/api/reservations/", {"book": book.pk, "days": 1})
    response = client_for(waiter).post("/api/reservations/", {"book": book.pk, "days": 1})
    assert (response.status_code, response.json()["code"]) == (409, "already_queued")


def test_over_the_limit_answers_409_reservation_limit_reached():
    customer = member(balance=100_000)
    client = client_for(customer)
    for _ in range(5):
        assert (
            client.post(
                "/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 1}
            ).status_code
            == 201
        )
    response = client.post("/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 1})
    assert (response.status_code, response.json()["code"]) == (409, "reservation_limit_reached")


def test_anonymous_requests_are_401():
    assert APIClient().get("/api/reservations/").status_code == 401
    assert APIClient().post("/api/reservations/", {"book": 1, "days": 1}).status_code == 401


# --- list, read, renew, return ----------------------------------------------------------------


def test_the_list_shows_only_my_reservations_and_filters_by_status():
    _, holder, mine = occupied_book()
    occupied_book()
    body = client_for(holder).get("/api/reservations/").json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    body = client_for(holder).get("/api/reservations/?status=returned").json()
    assert body["results"] == []
    assert client_for(holder).get("/api/reservations/?status=bogus").status_code == 400


def test_the_list_never_shows_a_reservation_past_its_end_as_active():
    _, holder, mine = occupied_book()
    Reservation.objects.filter(pk=mine.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(seconds=1)
    )
    body = client_for(holder).get("/api/reservations/").json()
    assert body["results"][0]["status"] == "expired"


def test_reading_another_members_reservation_is_404():
    _, _, theirs = occupied_book()
    assert client_for(member()).get(f"/api/reservations/{theirs.pk}/").status_code == 404


def test_reading_my_reservation():
    _, holder, mine = occupied_book()
    response = client_for(holder).get(f"/api/reservations/{mine.pk}/")
    assert (response.status_code, response.json()["id"]) == (200, mine.pk)


def test_put_renews_to_a_new_total_of_days():
    _, holder, mine = occupied_book()
    response = client_for(holder).put(f"/api/reservations/{mine.pk}/", {"days": 5})
    assert response.status_code == 200
    assert (response.json()["days"], response.json()["price"]) == (5, 5_000)


def test_put_answers_409_renewal_blocked_when_someone_waits():
    book, holder, mine = occupied_book()
    reservation_create(customer=member(), book_id=book.pk, days=1)
    response = client_for(holder).put(f"/api/reservations/{mine.pk}/", {"days": 5})
    assert (response.status_code, response.json()["code"]) == (409, "renewal_blocked")


def test_put_refuses_shortening_with_400():
    _, holder, mine = occupied_book()
    response = client_for(holder).put(f"/api/reservations/{mine.pk}/", {"days": 2})
    assert (response.status_code, response.json()["code"]) == (400, "shortening_refused")


def test_put_without_days_is_400_and_on_someone_elses_is_404():
    _, holder, mine = occupied_book()
    assert client_for(holder).put(f"/api/reservations/{mine.pk}/", {}).status_code == 400
    other = client_for(member()).put(f"/api/reservations/{mine.pk}/", {"days": 5})
    assert other.status_code == 404


def test_patch_is_405():
    _, holder, mine = occupied_book()
    assert client_for(holder).patch(f"/api/reservations/{mine.pk}/", {"days": 5}).status_code == 405


def test_delete_returns_the_book_then_409_when_already_returned():
    book, holder, mine = occupied_book()
    client = client_for(holder)
    assert client.delete(f"/api/reservations/{mine.pk}/").status_code == 204
    mine.refresh_from_db()
    book.refresh_from_db()
    assert (mine.status, book.available_units) == (ReservationStatus.RETURNED, 1)
    response = client.delete(f"/api/reservations/{mine.pk}/")
    assert (response.status_code, response.json()["code"]) == (409, "reservation_not_active")


def test_deleting_someone_elses_reservation_is_404_and_changes_nothing():
    _, _, theirs = occupied_book()
    assert client_for(member()).delete(f"/api/reservations/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


# --- quote ------------------------------------------------------------------------------------


def test_quote_shows_price_and_instant_outcome_without_reserving():
    book = BookFactory(total_units=1)
    response = client_for(member()).post("/api/reservations/quote/", {"book": book.pk, "days": 4})
    assert response.status_code == 200
    assert response.json() == {
        "book": book.pk,
        "days": 4,
        "plan": "plus",
        "base_price": 4_000,
        "discount_percent": 0,
        "discount_reason": "",
        "price": 4_000,
        "outcome": "instant",
        "position": None,
        "estimated_available_at": None,
        "balance": 100_000,
        "blocked_by": None,
    }
    assert not Reservation.objects.exists()


def test_quote_for_a_book_on_loan_says_queued_and_why_it_would_fail():
    book, _, _ = occupied_book()
    response = client_for(member(balance=100)).post(
        "/api/reservations/quote/", {"book": book.pk, "days": 2}
    )
    body = response.json()
    assert (body["outcome"], body["position"], body["blocked_by"]) == (
        "queued",
        1,
        "insufficient_funds",
    )


def test_quote_answers_the_reserve_errors_for_free_members_and_bad_days():
    book = BookFactory(total_units=1)
    free = client_for(member(Plan.FREE)).post(
        "/api/reservations/quote/", {"book": book.pk, "days": 1}
    )
    assert (free.status_code, free.json()["code"]) == (403, "membership_required")
    long = client_for(member()).post("/api/reservations/quote/", {"book": book.pk, "days": 9})
    assert (long.status_code, long.json()["code"]) == (400, "invalid_duration")
    missing = client_for(member()).post("/api/reservations/quote/", {"days": 1})
    assert missing.status_code == 400


# --- my queue ---------------------------------------------------------------------------------


def test_my_queue_lists_waiting_entries_with_live_positions():
    book, _, _ = occupied_book()
    me = member()
    reservation_create(customer=member(), book_id=book.pk, days=1)
    mine = reservation_create(customer=me, book_id=book.pk, days=1).queue_entry
    client = client_for(me)

    assert client.get("/api/reservations/queue/").json()["results"][0]["position"] == 2
    reservation_create(customer=member(Plan.PREMIUM), book_id=book.pk, days=1)
    body = client.get("/api/reservations/queue/").json()
    assert [(e["id"], e["position"]) for e in body["results"]] == [(mine.pk, 3)]


def test_leaving_my_queue_entry_is_204_and_someone_elses_is_404():
    book, _, _ = occupied_book()
    me, other = member(), member()
    mine = reservation_create(customer=me, book_id=book.pk, days=1).queue_entry
    theirs = reservation_create(customer=other, book_id=book.pk, days=1).queue_entry

    assert client_for(me).delete(f"/api/reservations/queue/{theirs.pk}/").status_code == 404
    assert client_for(me).delete(f"/api/reservations/queue/{mine.pk}/").status_code == 204
    assert QueueEntry.objects.get(pk=mine.pk).status == QueueStatus.LEFT
    again = client_for(me).delete(f"/api/reservations/queue/{mine.pk}/")
    assert (again.status_code, again.json()["code"]) == (409, "queue_entry_not_waiting")
    assert client_for(me).get("/api/reservations/queue/").json()["results"] == []


# --- admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client():
    return client_for(user=AdminFactory())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/admin/books/{book}/holders/"),
        ("post", "/api/admin/reservations/{reservation}/end/"),
        ("delete", "/api/admin/queue/{entry}/"),
    ],
)
def test_admin_endpoints_are_403_for_members(method, path):
    book, holder, reservation = occupied_book()
    entry = reservation_create(customer=member(), book_id=book.pk, days=1).queue_entry
    url = path.format(book=book.pk, reservation=reservation.pk, entry=entry.pk)
    assert getattr(client_for(holder), method)(url).status_code == 403
    reservation.refresh_from_db()
    entry.refresh_from_db()
    assert reservation.is_active and entry.is_waiting


def test_admin_sees_holders_and_the_queue_in_priority_order(admin_client):
    book, holder, reservation = occupied_book()
    plus = reservation_create(customer=member(), book_id=book.pk, days=1).queue_entry
    premium = reservation_create(customer=member(Plan.PREMIUM), book_id=book.pk, days=1).queue_entry

    body = admin_client.get(f"/api/admin/books/{book.pk}/holders/").json()

    assert [h["reservation"] for h in body["holders"]] == [reservation.pk]
    assert body["holders"][0]["email"] == holder.user.email
    assert [(w["entry"], w["position"], w["plan"]) for w in body["queue"]] == [
        (premium.pk, 1, "premium"),
        (plus.pk, 2, "plus"),
    ]


def test_admin_holders_of_a_missing_book_is_404(admin_client):
    assert admin_client.get("/api/admin/books/999999/holders/").status_code == 404


def test_admin_ends_a_reservation_and_the_queue_head_gets_it(admin_client):
    book, _, reservation = occupied_book()
    entry = reservation_create(customer=member(), book_id=book.pk, days=1).queue_entry

    response = admin_client.post(f"/api/admin/reservations/{reservation.pk}/end/")

    assert (response.status_code, response.json()["status"]) == (200, "ended_by_admin")
    assert QueueEntry.objects.get(pk=entry.pk).status == QueueStatus.FULFILLED
    again = admin_client.post(f"/api/admin/reservations/{reservation.pk}/end/")
    assert again.status_code == 409
    assert admin_client.post("/api/admin/reservations/999999/end/").status_code == 404


def test_admin_removes_a_queue_entry(admin_client):
    book, _, _ = occupied_book()
    entry = reservation_create(customer=member(), book_id=book.pk, days=1).queue_entry
    assert admin_client.delete(f"/api/admin/queue/{entry.pk}/").status_code == 204
    assert QueueEntry.objects.get(pk=entry.pk).status == QueueStatus.REMOVED_BY_ADMIN
    assert admin_client.delete(f"/api/admin/queue/{entry.pk}/").status_code == 409
    assert admin_client.delete("/api/admin/queue/999999/").status_code == 404


# --- query budgets ----------------------------------------------------------------------------


def warm_bearer_client(customer) -> APIClient:
    """A client sending a real access token, so that authentication is counted too, after one
    reserve and return: on PostgreSQL their statements are then prepared on the connection."""
    client = bearer(tokens_for(customer.user)["access"])
    response = client.post("/api/reservations/", {"book": BookFactory(total_units=1).pk, "days": 1})
    assert client.delete(f"/api/reservations/{response.json()['id']}/").status_code == 204
    return client


def test_reserving_costs_a_fixed_number_of_queries(django_assert_num_queries):
    customer = member()
    client = warm_bearer_client(customer)
    book = BookFactory(total_units=1)
    # user with its customer; the service's savepoint: book locked with the plan read, conflicts,
    # wallet locked, limit-and-price figures, reservation, the debit (balance, ledger row),
    # units; release.
    with django_assert_num_queries(11):
        response = client.post("/api/reservations/", {"book": book.pk, "days": 2})
    assert (response.status_code, response.json()["book_title"]) == (201, book.title)
    assert Book.objects.get(pk=book.pk).available_units == 0


def test_returning_with_nobody_waiting_costs_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    book, holder, reservation = occupied_book()
    client = warm_bearer_client(holder)
    # user with its customer; the service's savepoint: book locked through the reservation,
    # the reservation with what the book needs, the reservation ended, units; release.
    with django_assert_num_queries(7):
        assert client.delete(f"/api/reservations/{reservation.pk}/").status_code == 204
    assert Book.objects.get(pk=book.pk).available_units == 1
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.RETURNED


def test_returning_an_unknown_reservation_is_a_404():
    client = client_for(member())
    for reservation_id in (999_999, 2**70):
        assert client.delete(f"/api/reservations/{reservation_id}/").status_code == 404


def test_returning_with_a_promotion_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    book, holder, reservation = occupied_book()
    for _ in range(3):
        customer = member(Plan.PLUS)
        reservation_create(customer=customer, book_id=book.pk, days=1)
        customer.memberships.update(ends_at=timezone.now() - timedelta(seconds=1))
    reservation_create(customer=member(), book_id=book.pk, days=1)
    client = client_for(holder)
    # 25: the grant re-reads the account's state under the wallet lock (a closed account is dropped).
    with django_assert_max_num_queries(25):
        assert client.delete(f"/api/reservations/{reservation.pk}/").status_code == 204
    assert QueueEntry.objects.filter(status=QueueStatus.FULFILLED).count() == 1


def test_the_queue_listing_costs_the_same_for_many_entries(django_assert_max_num_queries):
    me = member(balance=1_000_000)
    for _ in range(15):
        book, _, _ = occupied_book()
        reservation_create(customer=member(), book_id=book.pk, days=1)
        reservation_create(customer=me, book_id=book.pk, days=1)
    client = client_for(me)
    with django_assert_max_num_queries(5):
        body = client.get("/api/reservations/queue/").json()
    assert [e["position"] for e in body["results"]] == [2] * 15
    assert all(e["estimated_available_at"] for e in body["results"])
