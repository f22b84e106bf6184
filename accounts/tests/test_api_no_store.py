"""No cache may keep an auth answer: tokens, codes and answers to secrets, successes and errors."""

import pytest

from accounts.tests.conftest import bearer, tokens_for
from accounts.tests.factories import PASSWORD
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db(transaction=True)  # mail and SMS leave on commit

AUTH_PATHS = [
    "/api/auth/signup/",
    "/api/auth/activate/",
    "/api/auth/activate/resend/",
    "/api/auth/login/",
    "/api/auth/login/verify/",
    "/api/auth/token/refresh/",
    "/api/auth/logout/",
    "/api/auth/password/change/",
    "/api/auth/password/reset/",
    "/api/auth/password/reset/confirm/",
]
NEW_PASSWORD = "An0ther!Secret"


def _assert_no_store(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


@pytest.mark.parametrize("path", AUTH_PATHS)
def test_an_auth_error_is_not_stored(api, path):
    response = api.post(path, {})
    assert response.status_code in (400, 401)
    _assert_no_store(response, response.status_code)


def test_every_auth_success_is_not_stored(api):
    email, phone = "cache@example.com", "+989120000777"
    signup = {"email": email, "phone": phone, "password": PASSWORD}
    _assert_no_store(api.post("/api/auth/signup/", signup), 201)
    _assert_no_store(api.post("/api/auth/activate/resend/", {"email": email}), 202)
    _assert_no_store(api.post("/api/auth/activate/", {"token": outbox.link_token()}), 204)

    step1 = api.post("/api/auth/login/", {"username": email, "password": PASSWORD})
    _assert_no_store(step1, 200)
    code = outbox.last_code()
    verify = {"otp_token": step1.json()["otp_token"], "code": code}
    pair = api.post("/api/auth/login/verify/", verify)
    _assert_no_store(pair, 200)
    rotated = api.post("/api/auth/token/refresh/", {"refresh": pair.json()["refresh"]})
    _assert_no_store(rotated, 200)
    client = bearer(rotated.json()["access"])
    logout = client.post("/api/auth/logout/", {"refresh": rotated.json()["refresh"]})
    _assert_no_store(logout, 204)

    step1 = api.post("/api/auth/login/", {"username": email, "password": PASSWORD})
    code = outbox.last_code()
    verify = {"otp_token": step1.json()["otp_token"], "code": code}
    client = bearer(api.post("/api/auth/login/verify/", verify).json()["access"])
    change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    _assert_no_store(client.post("/api/auth/password/change/", change), 204)

    _assert_no_store(api.post("/api/auth/password/reset/", {"email": email}), 202)
    confirm = {"token": outbox.link_token(), "new_password": PASSWORD}
    _assert_no_store(api.post("/api/auth/password/reset/confirm/", confirm), 204)


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/me/phone/",
        "/api/users/me/phone/confirm/",
        "/api/users/me/email/",
        "/api/users/me/email/confirm/",
    ],
)
def test_a_contact_change_answer_is_not_stored(member, path):
    """These answers carry change tokens and fresh JWT pairs, or answer requests with a password."""
    response = bearer(tokens_for(member)["access"]).post(path, {})
    assert response.status_code == 400
    _assert_no_store(response, 400)
