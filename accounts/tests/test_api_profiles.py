"""users/, customers/ and notifications/: what each shows, who may change it, and at what cost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.conftest import as_user, bearer, login
from accounts.tests.factories import (
    PASSWORD,
    CustomerFactory,
    MembershipFactory,
    NotificationFactory,
    UserFactory,
)
from catalog.tests.factories import CityFactory
from library_project.tests.outbox import outbox
from purchasing.tests.factories import fund
from reservations.selectors import customer_active_reservation_count
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def test_users_me_shows_my_account(member):
    body = as_user(member).get("/api/users/me/").json()
    assert body["email"] == member.email
    assert body["phone"] == member.phone
    assert "password" not in body


def test_patch_users_me_changes_names(member):
    response = as_user(member).patch("/api/users/me/", {"first_name": "Leila", "last_name": "K"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Leila", "K")


def test_put_users_me_needs_every_field(member):
    response = as_user(member).put("/api/users/me/", {"first_name": "Leila"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"last_name"}


def test_the_email_cannot_be_changed_through_users_me(member):
    original = member.email
    response = as_user(member).patch("/api/users/me/", {"email": "other@example.com"})
    assert response.status_code == 400
    assert response.json()["code"] == "use_email_change"
    member.refresh_from_db()
    assert member.email == original


def test_a_taken_or_malformed_phone_is_a_clean_400(member, other_member):
    client = as_user(member)
    taken = client.patch("/api/users/me/", {"phone": other_member.phone})
    assert taken.status_code == 400
    assert taken.json()["code"] == "use_phone_change"
    bad = client.patch("/api/users/me/", {"phone": "0912"})
    assert bad.status_code == 400
    assert "phone" in bad.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_deleting_myself_deactivates_the_account_and_revokes_its_tokens(api, member):
    pair = login(api, member)
    client = bearer(pair["access"])
    assert client.delete("/api/users/me/").status_code == 204
    member.refresh_from_db()
    assert not member.is_active
    assert client.get("/api/users/me/").status_code == 401
    assert api.post("/api/auth/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401
    refused = api.post("/api/auth/login/", {"username": member.email, "password": PASSWORD})
    assert refused.json()["code"] == "account_inactive"
    resend = api.post("/api/auth/activate/resend/", {"email": member.email})
    assert resend.status_code == 202
    assert outbox.mail == []  # a deleted account is not re-activated by email


def test_deleting_myself_is_refused_while_i_hold_a_reservation(member):
    ReservationFactory(customer=member.customer)
    response = as_user(member).delete("/api/users/me/")
    assert response.status_code == 409
    assert response.json()["code"] == "active_reservations"
    assert response.json()["active_reservations"] == 1
    member.refresh_from_db()
    assert member.is_active


def test_customers_me_shows_plan_its_end_balance_and_active_reservations(member):
    customer = member.customer
    membership = MembershipFactory(customer=customer, plan="premium")
    MembershipFactory(
        customer=customer,
        plan="plus",
        starts_at=timezone.now() - timedelta(days=60),
        ends_at=timezone.now() - timedelta(days=30),
    )
    fund(customer, 12_000)
    ReservationFactory(customer=customer)
    body = as_user(member).get("/api/customers/me/").json()
    assert body["plan"] == "premium"
    assert body["plan_ends_at"] == membership.ends_at.isoformat().replace("+00:00", "Z")
    assert body["wallet_balance"] == 12_000
    assert body["active_reservations_count"] == 1
    assert body["user"] == member.pk


def test_a_reservation_past_its_end_leaves_the_profile_count_as_it_leaves_the_limit(member):
    """The count shown is the one the reservation limit checks: a reservation whose end has
    passed no longer counts, even before settlement has ended it."""
    customer = member.customer
    now = timezone.now()
    ReservationFactory(customer=customer)
    ReservationFactory(
        customer=customer, starts_at=now - timedelta(days=3), ends_at=now - timedelta(minutes=1)
    )
    body = as_user(member).get("/api/customers/me/").json()
    assert body["active_reservations_count"] == 1
    assert customer_active_reservation_count(customer_id=customer.pk) == 1


def test_a_customer_without_membership_is_on_the_free_plan(member):
    body = as_user(member).get("/api/customers/me/").json()
    assert (body["plan"], body["plan_ends_at"], body["wallet_balance"]) == ("free", None, 0)


def test_customers_me_costs_the_same_queries_with_more_memberships_and_reservations(
    member, django_assert_num_queries
):
    client = as_user(member)
    with django_assert_num_queries(3):  # user, customer with its counts, covering memberships
        client.get("/api/customers/me/")
    MembershipFactory(customer=member.customer)
    MembershipFactory(customer=member.customer, plan="premium")
    ReservationFactory(customer=member.customer)
    ReservationFactory(customer=member.customer)
    with django_assert_num_queries(3):
        client.get("/api/customers/me/")


def test_patch_customers_me_changes_the_profile(member):
    city = CityFactory()
    response = as_user(member).patch(
        "/api/customers/me/",
        {"city": city.pk, "address": "Street 5", "date_of_birth": "1990-04-02"},
    )
    assert response.status_code == 200
    assert response.json()["city_name"] == city.name
    member.customer.refresh_from_db()
    assert member.customer.address == "Street 5"


@pytest.mark.parametrize(
    "payload",
    [
        {"date_of_birth": (timezone.localdate() + timedelta(days=2)).isoformat()},
        {"date_of_birth": "not a date"},
        {"city": 999999},
    ],
)
def test_patch_customers_me_refuses_bad_values_and_changes_nothing(member, payload):
    response = as_user(member).patch("/api/customers/me/", payload)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(payload)
    member.customer.refresh_from_db()
    assert member.customer.date_of_birth is None and member.customer.city is None


def test_put_customers_me_needs_every_field(member):
    response = as_user(member).put("/api/customers/me/", {"address": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"city", "date_of_birth"}


def test_a_user_without_customer_profile_gets_404_on_customers_me():
    assert as_user(UserFactory()).get("/api/customers/me/").status_code == 404


def test_the_customer_list_costs_a_fixed_number_of_queries(admin, django_assert_max_num_queries):
    client = as_user(admin)
    for _ in range(3):
        MembershipFactory(customer=CustomerFactory())
    with django_assert_max_num_queries(4) as first:
        client.get("/api/customers/")
    for _ in range(5):
        customer = CustomerFactory()
        MembershipFactory(customer=customer)
        ReservationFactory(customer=customer)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get("/api/customers/")
    assert response.json()["count"] == 9


def test_notifications_lists_mine_newest_first(member, other_member):
    older = NotificationFactory(user=member)
    newer = NotificationFactory(user=member)
    NotificationFactory(user=other_member)
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    body = as_user(member).get("/api/notifications/").json()
    assert body["count"] == 2
    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]


def test_marking_a_notification_read_sets_read_at_once(member):
    notification = NotificationFactory(user=member)
    client = as_user(member)
    first = client.post(f"/api/notifications/{notification.pk}/read/")
    assert first.status_code == 200
    assert first.json()["read_at"] is not None
    second = client.post(f"/api/notifications/{notification.pk}/read/")
    assert second.json()["read_at"] == first.json()["read_at"]


def test_another_members_notification_is_404_and_stays_unread(member, other_member):
    theirs = NotificationFactory(user=other_member)
    assert as_user(member).post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
