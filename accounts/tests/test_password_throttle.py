"""Every route that hashes a password counts the attempt per client address first: over the
limit it answers 429 with Retry-After before any hashing, and changes nothing."""

import pytest
from django.urls import reverse

from accounts.models import PasswordResetToken, User
from accounts.tests.conftest import bearer, tokens_for
from accounts.tests.factories import PASSWORD
from accounts.tests.hashers import CountingPasswordHasher
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "An0ther!Secret"


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.CountingPasswordHasher"]
    return CountingPasswordHasher


@pytest.fixture
def password_limit(settings):
    """Two password attempts a minute per address, the e-mail limit out of the way."""
    settings.AUTH_THROTTLE_RATES = {
        **settings.AUTH_THROTTLE_RATES,
        "password_ip": "2/min",
        "email_ip": "100/min",
    }


def _signup(api, n: int):
    return api.post(
        "/api/auth/signup/",
        {"email": f"stranger{n}@example.com", "phone": f"+98912000{n:04d}", "password": PASSWORD},
    )


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60 * 15


def test_the_sixth_sign_up_from_one_address_is_refused_and_mails_nobody(api):
    assert [_signup(api, n).status_code for n in range(5)] == [201] * 5
    response = _signup(api, 5)
    _assert_throttled(response)
    assert len(outbox.mail) == 5
    assert not User.objects.filter(email="stranger5@example.com").exists()
    assert User.objects.count() == 5


def test_sign_up_over_the_password_limit_is_refused_before_hashing(
    api, counting_hasher, password_limit
):
    assert [_signup(api, n).status_code for n in range(2)] == [201, 201]
    hashes = counting_hasher.hashes
    _assert_throttled(_signup(api, 2))
    assert counting_hasher.hashes == hashes
    assert User.objects.count() == 2
    assert len(outbox.mail) == 2


def test_password_change_over_the_limit_is_refused_before_hashing(
    member, counting_hasher, password_limit
):
    client = bearer(tokens_for(member)["access"])
    for _ in range(2):
        wrong = client.post(
            "/api/auth/password/change/",
            {"old_password": "Wr0ng!pass", "new_password": NEW_PASSWORD},
        )
        assert wrong.status_code == 400
    hashes = counting_hasher.hashes
    response = client.post(
        "/api/auth/password/change/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    _assert_throttled(response)
    assert counting_hasher.hashes == hashes
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert member.tokens_valid_after is None


def test_reset_confirm_over_the_limit_is_refused_before_hashing_and_keeps_the_link(
    api, member, counting_hasher, password_limit
):
    api.post("/api/auth/password/reset/", {"email": member.email})
    for _ in range(2):
        guess = api.post(
            "/api/auth/password/reset/confirm/", {"token": "guessed", "new_password": NEW_PASSWORD}
        )
        assert guess.json()["code"] == "token_invalid"
    token = outbox.link_token()
    hashes = counting_hasher.hashes
    response = api.post(
        "/api/auth/password/reset/confirm/", {"token": token, "new_password": NEW_PASSWORD}
    )
    _assert_throttled(response)
    assert counting_hasher.hashes == hashes
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert member.tokens_valid_after is None
    assert PasswordResetToken.objects.filter(user=member).exists()


def test_the_admin_password_change_over_the_limit_answers_429_before_hashing(
    client, admin, counting_hasher, password_limit
):
    client.force_login(admin)
    form = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(2):
        assert client.post(reverse("admin:password_change"), form).status_code == 200
    hashes = counting_hasher.hashes
    response = client.post(reverse("admin:password_change"), {**form, "old_password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many attempts" in response.content
    assert counting_hasher.hashes == hashes
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
