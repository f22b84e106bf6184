"""Every auth event and money movement is logged with who, what and how much, and no log line
ever carries a password, a one-time code, a link token or a JWT."""

import json
import logging

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from accounts.models import Customer, User
from accounts.services._common import _issue_pair
from accounts.tests.factories import AdminFactory, CustomerFactory
from catalog.models import Genre
from catalog.services import author_create, book_create
from catalog.tests.factories import isbn13
from core.log_format import JsonFormatter
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db

PASSWORD = "Fresh!Passw0rd-42"
NEW_PASSWORD = "Second!Passw0rd-77"
RESET_PASSWORD = "Third!Passw0rd-99"


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """SMS and email go to the in-memory outboxes, emptied for each test."""


class Flow:
    """An API client that runs after-commit work (SMS, mail, money logs) as a commit would."""

    def __init__(self):
        self.client = APIClient()
        self.secrets: list[str] = []

    def post(self, path: str, body: dict | None = None, status: int | None = None):
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post(path, body or {}, format="json")
        if status is not None:
            assert response.status_code == status, (path, response.content)
        return response

    def auth(self, access: str) -> None:
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    def link_token(self) -> str:
        token = outbox.link_token()
        self.secrets.append(token)
        return token

    def sign_in(self, email: str, password: str) -> dict:
        otp = self.post("/api/auth/login/", {"username": email, "password": password}, 200).json()
        code = outbox.last_code()
        self.secrets += [otp["otp_token"], code]
        pair = self.post(
            "/api/auth/login/verify/", {"otp_token": otp["otp_token"], "code": code}, 200
        ).json()
        self.secrets += [pair["access"], pair["refresh"]]
        self.auth(pair["access"])
        return pair


def _events(caplog) -> list[dict]:
    return [vars(r) for r in caplog.records if getattr(r, "event", None)]


def _event(caplog, name: str, **fields) -> dict:
    matching = [
        e
        for e in _events(caplog)
        if e["event"] == name and all(e.get(k) == v for k, v in fields.items())
    ]
    assert matching, f"no {name} {fields} in {[e['event'] for e in _events(caplog)]}"
    return matching[-1]


def test_a_whole_session_logs_every_auth_event_and_money_movement_without_secrets(caplog):
    caplog.set_level(logging.INFO)
    flow = Flow()
    flow.secrets += [PASSWORD, NEW_PASSWORD, RESET_PASSWORD]

    # Sign-up, activation, a wrong password, sign-in, a wrong code.
    flow.post(
        "/api/auth/signup/",
        {"email": "audit@example.com", "phone": "+989990003344", "password": PASSWORD},
        201,
    )
    user = User.objects.get(email="audit@example.com")
    flow.post("/api/auth/activate/", {"token": flow.link_token()}, 204)
    flow.post("/api/auth/login/", {"username": user.email, "password": "Wrong!Pass1"}, 401)
    otp = flow.post("/api/auth/login/", {"username": user.email, "password": PASSWORD}, 200)
    code = outbox.last_code()
    flow.secrets += [otp.json()["otp_token"], code]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    flow.post("/api/auth/login/verify/", {"otp_token": otp.json()["otp_token"], "code": wrong}, 400)
    pair = flow.post(
        "/api/auth/login/verify/", {"otp_token": otp.json()["otp_token"], "code": code}, 200
    ).json()
    flow.secrets += [pair["access"], pair["refresh"]]
    flow.auth(pair["access"])

    # Refresh, then money: a charge, a plus membership, a switch to premium (refund), a reserve.
    rotated = flow.post("/api/auth/token/refresh/", {"refresh": pair["refresh"]}, 200).json()
    flow.secrets += [rotated["access"], rotated["refresh"]]
    flow.post("/api/auth/token/refresh/", {"refresh": "not-a-token"}, 401)
    flow.auth(rotated["access"])
    flow.post("/api/wallet/charge/", {"amount": 400_000}, 201)
    flow.post("/api/memberships/", {"plan": "plus", "months": 1}, 201)
    flow.post("/api/memberships/", {"plan": "premium", "months": 1}, 201)
    admin = AdminFactory()
    CustomerFactory(user=admin)
    book = book_create(
        created_by=admin,
        title="Logged",
        isbn=isbn13(910_001),
        genre=Genre.objects.create(name="Logs"),
        published_year=2020,
        total_units=1,
        authors=[author_create(name="Logger")],
    )
    flow.post("/api/reservations/", {"book": book.pk, "days": 3}, 201)

    # Password change (revokes every token), sign in again, log out, reset the password.
    flow.post(
        "/api/auth/password/change/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        204,
    )
    again = flow.sign_in(user.email, NEW_PASSWORD)
    flow.post("/api/auth/logout/", {"refresh": again["refresh"]}, 204)
    flow.client.credentials()
    flow.post("/api/auth/password/reset/", {"email": user.email}, 202)
    flow.post(
        "/api/auth/password/reset/confirm/",
        {"token": flow.link_token(), "new_password": RESET_PASSWORD},
        204,
    )
    admin_flow = Flow()
    admin_flow.auth(_issue_pair(admin).access)
    admin_flow.post(f"/api/admin/users/{user.pk}/revoke-tokens/", status=204)

    # Who and what, for every auth event.
    uid = user.pk
    _event(caplog, "auth.signup", user_id=uid)
    _event(caplog, "auth.activated", user_id=uid)
    _event(caplog, "auth.login_failed", user_id=uid, reason="wrong_password")
    _event(caplog, "auth.login_started", user_id=uid)
    _event(caplog, "auth.verify_failed", user_id=uid, reason="wrong_code", attempts_left=4)
    _event(caplog, "auth.login_verified", user_id=uid)
    _event(caplog, "auth.token_refreshed", user_id=uid)
    _event(caplog, "auth.refresh_failed", reason="invalid_token")
    _event(caplog, "auth.password_changed", user_id=uid)
    _event(caplog, "auth.logout", user_id=uid)
    _event(caplog, "auth.password_reset_requested", user_id=uid)
    _event(caplog, "auth.password_reset", user_id=uid)
    _event(caplog, "auth.tokens_revoked", user_id=uid, by_user_id=admin.pk)

    # Who, what and how much, for every money movement.
    customer_id = Customer.objects.get(user=user).pk
    _event(caplog, "money.payment_started", customer_id=customer_id, amount=400_000)
    _event(caplog, "money.ledger", customer_id=customer_id, kind="charge", amount=400_000)
    _event(caplog, "money.ledger", customer_id=customer_id, kind="membership_fee", amount=-50_000)
    _event(caplog, "money.membership_purchase", customer_id=customer_id, plan="plus", amount=50_000)
    refund = _event(caplog, "money.ledger", customer_id=customer_id, kind="refund")
    assert refund["amount"] > 0
    _event(caplog, "money.membership_purchase", customer_id=customer_id, plan="premium")
    _event(caplog, "money.ledger", customer_id=customer_id, kind="reservation_fee", amount=-3_000)

    # Nothing secret in any line, whether rendered as text or as JSON.
    formatter = JsonFormatter()
    rendered = "\n".join(
        f"{record.getMessage()} {formatter.format(record)}" for record in caplog.records
    )
    assert all(json.loads(formatter.format(record)) for record in caplog.records)
    assert len(flow.secrets) >= 14
    leaked = [secret for secret in flow.secrets + admin_flow.secrets if secret in rendered]
    assert leaked == []


def test_json_log_lines_carry_the_events_fields():
    record = logging.LogRecord("accounts.services", logging.INFO, "", 0, "auth.logout", (), None)
    record.event = "auth.logout"
    record.user_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "auth.logout"
    assert line["user_id"] == 7
    assert line["level"] == "INFO"
    assert line["message"] == "auth.logout"
