"""Hostile users: OTP brute force, throttles, account enumeration, IDOR, mass assignment,
oversized bodies and page sizes. Every refusal is clean (4xx) and changes nothing."""

import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import TestCase
from django.utils import timezone

from accounts.models import Customer, User
from accounts.tests.factories import UserFactory
from catalog.models import Book
from library_project.tests.outbox import outbox
from library_project.tests.security_world import (
    PASSWORD,
    World,
    client_for,
    make_world,
)
from purchasing.models import Wallet, WalletTransaction
from reservations.models import QueueEntry, Reservation


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """SMS and email go to the in-memory outboxes, emptied for each test."""


@pytest.fixture
def world(db) -> World:
    return make_world()


def _post(client, path: str, body) -> object:
    """SMS and mail leave after commit: run those callbacks as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path, data=json.dumps(body), content_type="application/json")


def _login_step_one(client, user) -> tuple[str, str]:
    response = _post(client, "/api/auth/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    code = outbox.last_code()
    return response.json()["otp_token"], code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- OTP brute force and throttles ----------------------------------------------------------------


def test_the_sixth_code_fails_even_when_it_is_the_right_one(world):
    client = client_for(None)
    otp_token, code = _login_step_one(client, world.member)
    answers = [
        _post(client, "/api/auth/login/verify/", {"otp_token": otp_token, "code": _wrong(code)})
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [400] * 5
    assert [a.json().get("attempts_left") for a in answers] == [4, 3, 2, 1, 0]

    sixth = _post(client, "/api/auth/login/verify/", {"otp_token": otp_token, "code": code})

    assert sixth.status_code == 400
    assert "access" not in sixth.json()


def test_a_used_code_cannot_be_replayed(world):
    client = client_for(None)
    otp_token, code = _login_step_one(client, world.member)
    first = _post(client, "/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert first.status_code == 200
    replay = _post(client, "/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert replay.status_code == 400
    assert "access" not in replay.json()


def test_password_guessing_on_one_account_is_throttled_with_retry_after(world):
    client = client_for(None)
    guesses = [
        _post(client, "/api/auth/login/", {"username": world.member.email, "password": f"no{i}"})
        for i in range(6)
    ]
    assert [g.status_code for g in guesses[:5]] == [401] * 5
    assert guesses[5].status_code == 429
    assert int(guesses[5]["Retry-After"]) > 0
    # The account named by its phone shares the same counter.
    by_phone = _post(client, "/api/auth/login/", {"username": world.member.phone, "password": "x"})
    assert by_phone.status_code == 429


def test_login_attempts_from_one_address_over_many_accounts_are_throttled(world):
    client = client_for(None)
    statuses = [
        _post(
            client,
            "/api/auth/login/",
            {"username": f"nobody{i}@example.com", "password": "Wrong!Passw0rd"},
        ).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_code_verification_from_one_address_is_throttled_with_retry_after(world):
    client = client_for(None)
    answers = [
        _post(client, "/api/auth/login/verify/", {"otp_token": f"guess-{i}", "code": "123456"})
        for i in range(31)
    ]
    assert {a.status_code for a in answers[:30]} == {400}
    assert answers[30].status_code == 429
    assert int(answers[30]["Retry-After"]) > 0


# --- enumeration ----------------------------------------------------------------------------------


def test_login_answers_an_unknown_account_as_a_wrong_password(world):
    client = client_for(None)
    unknown = _post(client, "/api/auth/login/", {"username": "ghost@example.com", "password": "x"})
    wrong = _post(client, "/api/auth/login/", {"username": world.member.email, "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


@pytest.mark.parametrize("path", ["/api/auth/activate/resend/", "/api/auth/password/reset/"])
def test_link_requests_answer_the_same_whether_or_not_the_email_exists(world, path):
    inactive = UserFactory(is_active=False)
    answers = [
        _post(client_for(None), path, {"email": email})
        for email in ("ghost@example.com", world.member.email, inactive.email)
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.content for a in answers}) == 1
    # Only a real candidate gets a mail: an activation link for the inactive account, a reset
    # link for the active one.
    expected = inactive.email if "activate" in path else world.member.email
    assert [message.to for message in outbox.mail] == [[expected]]


def test_sign_up_says_already_registered_as_the_spec_requires_and_nothing_more(world):
    """Email and phone are unique, so sign-up must refuse a taken one (400
    `already_registered`). The answer names no account data beyond that."""
    body = {
        "email": world.member.email.upper(),
        "phone": "+989990001111",
        "password": "Fresh!Passw0rd-42",
        "first_name": "Copy",
        "last_name": "Cat",
    }
    response = _post(client_for(None), "/api/auth/signup/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    assert str(world.member.pk) not in json.dumps(response.json())
    assert world.member.phone not in json.dumps(response.json())


# --- IDOR: another member's objects are 404 and stay as they were -------------------------------

IDOR_ATTEMPTS = [
    ("GET", "/api/reservations/{reservation}/", {}),
    ("PUT", "/api/reservations/{reservation}/", {"days": 5}),
    ("DELETE", "/api/reservations/{reservation}/", {}),
    ("DELETE", "/api/reservations/queue/{queue_entry}/", {}),
    ("POST", "/api/reservations/queue/{queue_entry}/suspend/", {"until": "<in two days>"}),
    ("POST", "/api/reservations/queue/{queue_entry}/resume/", {}),
    ("POST", "/api/notifications/{notification}/read/", {}),
    ("GET", "/api/users/{user}/", {}),
    ("GET", "/api/customers/{customer}/", {}),
]


def _snapshot(w: World) -> dict:
    return {
        "reservation": model_to_dict(Reservation.objects.get(pk=w.reservation.pk)),
        "queue_entry": model_to_dict(QueueEntry.objects.get(pk=w.queue_entry.pk)),
        "notification": w.notification.__class__.objects.filter(pk=w.notification.pk)
        .values()
        .get(),
        "wallets": list(Wallet.objects.order_by("pk").values("pk", "balance")),
    }


@pytest.mark.parametrize("method,template,body", IDOR_ATTEMPTS, ids=lambda v: str(v))
def test_another_members_object_is_not_found_and_unchanged(world, method, template, body):
    before = _snapshot(world)
    path = template.format(
        reservation=world.reservation.pk,
        queue_entry=world.queue_entry.pk,
        notification=world.notification.pk,
        user=world.member.pk,
        customer=world.member.customer.pk,
    )
    if body.get("until"):
        body = {"until": (timezone.now() + timedelta(days=2)).isoformat()}
    response = client_for(world.other).generic(
        method, path, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 404
    assert _snapshot(world) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/reservations/999999/",
        "/api/reservations/queue/999999/",
        "/api/notifications/999999/read/",
        "/api/users/999999/",
        "/api/customers/999999/",
        "/api/books/999999/",
        "/api/authors/999999/",
    ],
)
def test_an_unknown_id_is_not_found_as_well(world, path):
    method = "POST" if path.endswith("read/") else "DELETE" if "/queue/" in path else "GET"
    response = client_for(world.member).generic(method, path)
    assert response.status_code == 404


# --- mass assignment ------------------------------------------------------------------------------


def _user_row(user: User) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


def test_a_member_cannot_make_himself_staff_or_change_protected_account_fields(world):
    before = _user_row(world.member)
    client = client_for(world.member)
    hostile = {
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "tokens_valid_after": "2000-01-01T00:00:00Z",
        "password": "Fresh!Passw0rd-42",
        "first_name": "Still allowed",
    }
    for method in ("PATCH", "PUT"):
        response = client.generic(
            method,
            "/api/users/me/",
            data=json.dumps({**hostile, "last_name": "Reader", "phone": world.member.phone}),
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert set(response.json()["errors"]) == set(hostile) - {"first_name"}
    assert _user_row(world.member) == before
    takeover = client.patch("/api/users/me/", {"email": "taken.over@example.com"}, format="json")
    assert takeover.status_code == 400
    assert _user_row(world.member)["email"] == before["email"]


def test_a_member_cannot_set_his_balance_or_plan_through_his_customer_profile(world):
    customer = Customer.objects.get(user=world.member)
    balance = Wallet.objects.get(customer=customer).balance
    response = _patch(
        world.member,
        "/api/customers/me/",
        {"balance": 10**9, "wallet": {"balance": 10**9}, "plan": "premium", "user": world.admin.pk},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"balance", "wallet", "plan", "user"}
    assert Wallet.objects.get(customer=customer).balance == balance
    assert Customer.objects.get(pk=customer.pk).user_id == world.member.pk


def _patch(user, path, body, method="PATCH"):
    return client_for(user).generic(
        method, path, data=json.dumps(body), content_type="application/json"
    )


def test_a_reservation_write_sets_only_book_and_days(world):
    ledger_before = WalletTransaction.objects.count()
    reservations_before = Reservation.objects.count()
    response = _patch(
        world.author,
        "/api/reservations/",
        {
            "book": world.book.pk,
            "days": 2,
            "status": "returned",
            "price": 0,
            "starts_at": "2000-01-01T00:00:00Z",
            "ends_at": "2100-01-01T00:00:00Z",
            "customer": world.member.customer.pk,
        },
        method="POST",
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"status", "price", "starts_at", "ends_at", "customer"}
    assert Reservation.objects.count() == reservations_before
    assert WalletTransaction.objects.count() == ledger_before


def test_a_renewal_cannot_set_status_dates_or_price(world):
    before = Reservation.objects.get(pk=world.reservation.pk)
    response = _patch(
        world.member,
        f"/api/reservations/{world.reservation.pk}/",
        {
            "days": 4,
            "status": "returned",
            "ends_at": "2100-01-01T00:00:00Z",
            "starts_at": "2000-01-01T00:00:00Z",
            "price": 0,
        },
        method="PUT",
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"status", "ends_at", "starts_at", "price"}
    after = Reservation.objects.get(pk=world.reservation.pk)
    assert model_to_dict(after) == model_to_dict(before)


def test_an_author_cannot_set_a_books_available_units(world):
    book = Book.objects.get(pk=world.book.pk)
    response = _patch(
        world.author,
        f"/api/books/{book.pk}/",
        {"available_units": 999, "popularity": 999, "description": "Edited."},
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"available_units", "popularity"}
    after = Book.objects.get(pk=book.pk)
    assert after.available_units == book.available_units
    assert after.description == book.description


def test_a_charge_or_membership_purchase_cannot_choose_its_own_price_or_status(world):
    customer = Customer.objects.get(user=world.member)
    balance = Wallet.objects.get(customer=customer).balance
    charge = _patch(
        world.member,
        "/api/wallet/charge/",
        {"amount": 1_000, "status": "succeeded", "balance": 10**9, "gateway": "x"},
        method="POST",
    )
    assert charge.status_code == 400, charge.content
    assert set(charge.json()["errors"]) == {"status", "balance", "gateway"}
    membership = _patch(
        world.member,
        "/api/memberships/",
        {"plan": "plus", "months": 1, "price_paid": 0, "ends_at": "2100-01-01T00:00:00Z"},
        method="POST",
    )
    assert membership.status_code == 400, membership.content
    assert set(membership.json()["errors"]) == {"price_paid", "ends_at"}
    assert Wallet.objects.get(customer=customer).balance == balance


# --- oversized bodies and page sizes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/auth/login/", "/api/auth/signup/", "/api/reservations/", "/api/wallet/charge/"]
)
def test_a_body_over_the_upload_limit_is_refused_cleanly(world, path):
    body = json.dumps({"username": "x" * (300 * 1024), "password": "y"})
    response = client_for(world.member).post(path, data=body, content_type="application/json")
    assert response.status_code == 413, response.status_code
    assert response.json()["code"] == "request_too_large"


def test_a_form_with_too_many_fields_is_refused_cleanly(world):
    body = "&".join(f"f{i}=1" for i in range(1_100))
    response = client_for(None).post(
        "/api/auth/login/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "query,status,refused",
    [
        ("page_size=100", 200, None),
        ("page_size=1000000", 400, "page_size"),
        ("page_size=0", 400, "page_size"),
        ("page_size=-5", 400, "page_size"),
        ("page_size=abc", 400, "page_size"),
        ("page_size=", 400, "page_size"),
        ("page=-1", 400, "page"),
        ("page=abc", 400, "page"),
        ("page=0", 400, "page"),
        ("page=last", 400, "page"),
        ("page=99999999999999999999", 404, None),
    ],
)
def test_page_and_page_size_outside_their_bounds_are_refused_cleanly(world, query, status, refused):
    from catalog.tests.factories import BookFactory

    BookFactory.create_batch(110, genre=world.genre)
    response = client_for(None).get(f"/api/books/?{query}")
    assert response.status_code == status, response.content[:200]
    if status == 200:
        assert len(response.json()["results"]) == 100
    elif refused:
        assert response.json()["code"] == "invalid"
        assert list(response.json()["errors"]) == [refused]
    else:
        assert response.json()["code"] == "not_found"
