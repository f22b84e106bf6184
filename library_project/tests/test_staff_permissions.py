"""Staff reach an admin operation of the API only with the Django permission the admin site
requires for it (a model's `change_*` also grants its `view_*`); a permission for some other
model or operation is not enough, and the service itself refuses such staff too."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from accounts.errors import AdminOnly
from accounts.models import User
from accounts.services import user_revoke_tokens
from catalog.models import Author
from library_project.tests.security_world import (
    World,
    client_for,
    make_world,
    staff_with_permissions,
)
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import admin_end_reservation, admin_remove_queue_entry


@dataclass(frozen=True)
class Case:
    method: str
    path: Callable[[World], str]
    granted: tuple[str, ...]
    expected: int
    body: dict = field(default_factory=dict)


CASES = [
    # users: the user changelist's permission, not the customer's
    Case("GET", lambda w: "/api/users/", ("accounts.view_customer",), 403),
    Case("GET", lambda w: "/api/users/", ("accounts.view_user",), 200),
    Case("GET", lambda w: "/api/users/", ("accounts.change_user",), 200),
    Case("GET", lambda w: f"/api/users/{w.member.pk}/", ("accounts.view_customer",), 404),
    Case("GET", lambda w: f"/api/users/{w.member.pk}/", ("accounts.view_user",), 200),
    # customers (with their balance and holdings): the customer changelist's permission
    Case("GET", lambda w: "/api/customers/", ("accounts.view_user",), 403),
    Case("GET", lambda w: "/api/customers/", ("accounts.view_customer",), 200),
    Case("GET", lambda w: "/api/customers/", ("accounts.change_customer",), 200),
    Case(
        "GET",
        lambda w: f"/api/customers/{w.member.customer.pk}/",
        ("accounts.change_user",),
        404,
    ),
    Case(
        "GET",
        lambda w: f"/api/customers/{w.member.customer.pk}/",
        ("accounts.view_customer",),
        200,
    ),
    # revoking tokens changes a user
    Case(
        "POST",
        lambda w: f"/api/admin/users/{w.member.pk}/revoke-tokens/",
        ("accounts.view_user", "accounts.change_customer"),
        403,
    ),
    Case(
        "POST",
        lambda w: f"/api/admin/users/{w.member.pk}/revoke-tokens/",
        ("accounts.change_user",),
        204,
    ),
    # a book's holders and queue are reservation and queue-entry rows
    Case(
        "GET",
        lambda w: f"/api/admin/books/{w.book.pk}/holders/",
        ("catalog.change_book", "reservations.view_reservation"),
        403,
    ),
    Case(
        "GET",
        lambda w: f"/api/admin/books/{w.book.pk}/holders/",
        ("reservations.view_reservation", "reservations.view_queueentry"),
        200,
    ),
    Case(
        "GET",
        lambda w: f"/api/admin/books/{w.book.pk}/holders/",
        ("reservations.change_reservation", "reservations.change_queueentry"),
        200,
    ),
    # ending a reservation changes it; removing a waiter changes the queue entry
    Case(
        "POST",
        lambda w: f"/api/admin/reservations/{w.reservation.pk}/end/",
        ("reservations.view_reservation", "reservations.change_queueentry"),
        403,
    ),
    Case(
        "POST",
        lambda w: f"/api/admin/reservations/{w.reservation.pk}/end/",
        ("reservations.change_reservation",),
        200,
    ),
    Case(
        "DELETE",
        lambda w: f"/api/admin/queue/{w.queue_entry.pk}/",
        ("reservations.view_queueentry", "reservations.change_reservation"),
        403,
    ),
    Case(
        "DELETE",
        lambda w: f"/api/admin/queue/{w.queue_entry.pk}/",
        ("reservations.change_queueentry",),
        204,
    ),
    # reference data: add, change and delete are three permissions
    Case("POST", lambda w: "/api/genres/", ("catalog.change_genre",), 403, {"name": "Odes"}),
    Case("POST", lambda w: "/api/genres/", ("catalog.add_genre",), 201, {"name": "Odes"}),
    Case("PATCH", lambda w: f"/api/cities/{w.city.pk}/", ("catalog.add_city",), 403, {"name": "X"}),
    Case(
        "PATCH", lambda w: f"/api/cities/{w.city.pk}/", ("catalog.change_city",), 200, {"name": "X"}
    ),
    Case("DELETE", lambda w: f"/api/cities/{w.city.pk}/", ("catalog.change_city",), 403),
    Case("DELETE", lambda w: f"/api/cities/{w.city.pk}/", ("catalog.delete_city",), 204),
    # a book by staff who are not its author needs the add permission
    Case("POST", lambda w: "/api/books/", ("catalog.change_book",), 403),
]


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.method}-{'+'.join(c.granted)}-answers-{c.expected}"
)
def test_staff_reach_an_admin_operation_only_with_its_permission(world, case):
    staff = staff_with_permissions(*case.granted)
    response = client_for(staff).generic(
        case.method,
        case.path(world),
        data=json.dumps(case.body),
        content_type="application/json",
    )
    assert response.status_code == case.expected, response.content


def test_a_refused_staff_member_changes_nothing(world):
    staff = staff_with_permissions(
        "accounts.view_user", "reservations.view_reservation", "reservations.view_queueentry"
    )
    client = client_for(staff)
    client.post(f"/api/admin/users/{world.member.pk}/revoke-tokens/")
    client.post(f"/api/admin/reservations/{world.reservation.pk}/end/")
    client.delete(f"/api/admin/queue/{world.queue_entry.pk}/")
    assert User.objects.get(pk=world.member.pk).tokens_valid_after is None
    assert Reservation.objects.get(pk=world.reservation.pk).status == ReservationStatus.ACTIVE
    assert QueueEntry.objects.get(pk=world.queue_entry.pk).status == QueueStatus.WAITING


def test_the_services_refuse_staff_without_the_permission(world):
    staff = staff_with_permissions("accounts.view_user", "reservations.view_reservation")
    with pytest.raises(AdminOnly):
        user_revoke_tokens(user_id=world.member.pk, by=staff)
    with pytest.raises(AdminOnly):
        admin_end_reservation(reservation_id=world.reservation.pk, by=staff)
    with pytest.raises(AdminOnly):
        admin_remove_queue_entry(entry_id=world.queue_entry.pk, by=staff)
    assert Reservation.objects.get(pk=world.reservation.pk).status == ReservationStatus.ACTIVE
    assert QueueEntry.objects.get(pk=world.queue_entry.pk).status == QueueStatus.WAITING


def test_the_services_accept_staff_with_the_permission(world):
    staff = staff_with_permissions(
        "accounts.change_user",
        "reservations.change_reservation",
        "reservations.change_queueentry",
    )
    user_revoke_tokens(user_id=world.member.pk, by=staff)
    admin_end_reservation(reservation_id=world.reservation.pk, by=staff)
    admin_remove_queue_entry(entry_id=world.queue_entry.pk, by=staff)
    assert User.objects.get(pk=world.member.pk).tokens_valid_after is not None
    assert Reservation.objects.get(pk=world.reservation.pk).status == (
        ReservationStatus.ENDED_BY_ADMIN
    )


def test_staff_with_the_add_permission_create_an_author_without_account(world):
    response = client_for(staff_with_permissions("catalog.add_author")).post(
        "/api/authors/", {"name": "Anonymous poet"}, format="json"
    )
    assert response.status_code == 201
    assert Author.objects.get(pk=response.json()["id"]).user_id is None


def test_staff_without_the_add_permission_create_their_own_author_profile(world):
    staff = staff_with_permissions("catalog.change_author")
    response = client_for(staff).post("/api/authors/", {"name": "Staff poet"}, format="json")
    assert response.status_code == 201
    assert Author.objects.get(pk=response.json()["id"]).user_id == staff.pk


def test_the_admin_book_page_shows_holders_only_with_the_reservation_permissions(world, client):
    page = reverse("admin:catalog_book_change", args=[world.book.pk])
    client.force_login(staff_with_permissions("catalog.view_book"))
    assert "holders_and_queue" not in client.get(page).context
    client.force_login(
        staff_with_permissions(
            "catalog.view_book", "reservations.view_reservation", "reservations.view_queueentry"
        )
    )
    holders = client.get(page).context["holders_and_queue"].holders
    assert world.reservation in holders


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS"])
def test_other_methods_on_reference_data_are_not_a_500(world, method):
    response = client_for(world.member).generic(method, "/api/cities/")
    assert response.status_code == (405 if method == "TRACE" else 200)
