"""The sign-up → sign-in → tokens → logout story through HTTP, and every refusal on the way."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import sms
from accounts.models import ActivationToken, Customer, OtpChallenge, PasswordResetToken, User
from accounts.tests.conftest import bearer, login, tokens_for
from accounts.tests.factories import PASSWORD, UserFactory
from catalog.tests.factories import CityFactory
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db(transaction=True)

SIGNUP = {
    "email": "New.Member@Example.com",
    "phone": "+989121234567",
    "password": PASSWORD,
    "first_name": "Sara",
    "last_name": "Ahmadi",
}


def test_the_whole_flow_from_sign_up_to_logout(api):
    city = CityFactory()
    created = api.post("/api/auth/signup/", {**SIGNUP, "city": city.pk})
    assert created.status_code == 201
    assert created.json()["email"] == "new.member@example.com"
    assert created.json()["is_active"] is False
    user = User.objects.get(email="new.member@example.com")
    assert user.customer.city == city
    assert user.customer.wallet.balance == 0

    refused = api.post("/api/auth/login/", {"username": SIGNUP["email"], "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_inactive"

    assert len(outbox.mail) == 1 and outbox.mail[0].to == ["new.member@example.com"]
    activated = api.post("/api/auth/activate/", {"token": outbox.link_token(outbox.mail[0])})
    assert activated.status_code == 204

    step1 = api.post("/api/auth/login/", {"username": "+989121234567", "password": PASSWORD})
    assert step1.status_code == 200
    assert step1.json()["expires_in"] == 120
    assert outbox.sms[-1].to == "+989121234567"
    assert re.fullmatch(r"Your library login code is \d{6}", outbox.sms[-1].body)
    code = outbox.last_code()
    pair = api.post(
        "/api/auth/login/verify/", {"otp_token": step1.json()["otp_token"], "code": code}
    )
    assert pair.status_code == 200
    assert bearer(pair.json()["access"]).get("/api/users/me/").json()["id"] == user.pk

    rotated = api.post("/api/auth/token/refresh/", {"refresh": pair.json()["refresh"]})
    assert rotated.status_code == 200
    access, refresh = rotated.json()["access"], rotated.json()["refresh"]

    client = bearer(access)
    assert client.post("/api/auth/logout/", {"refresh": refresh}).status_code == 204
    assert client.get("/api/users/me/").status_code == 401
    after = api.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert after.status_code == 401
    assert after.json()["code"] == "token_not_valid"
    assert (
        api.post("/api/auth/token/refresh/", {"refresh": pair.json()["refresh"]}).status_code == 401
    )


def test_the_stored_secrets_are_hashes_not_the_values_sent(api):
    api.post("/api/auth/signup/", SIGNUP)
    raw = outbox.link_token(outbox.mail[0])
    assert not ActivationToken.objects.filter(token_hash=raw).exists()
    user = User.objects.get(email="new.member@example.com")
    user.is_active = True
    user.save()
    otp_token = api.post("/api/auth/login/", {"username": user.email, "password": PASSWORD}).json()[
        "otp_token"
    ]
    challenge = OtpChallenge.objects.get(user=user)
    assert outbox.last_code() not in challenge.code_hash
    assert challenge.token_hash != otp_token


def test_sign_up_refuses_a_taken_email_whatever_its_case(api):
    UserFactory(email="new.member@example.com")
    response = api.post("/api/auth/signup/", SIGNUP)
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    assert "email" in response.json()["errors"]
    assert Customer.objects.count() == 0


def test_sign_up_refuses_a_taken_phone(api):
    UserFactory(phone=SIGNUP["phone"])
    response = api.post("/api/auth/signup/", SIGNUP)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "0912123"),  # a digit short (09121234567 is read as +989121234567)
        ("phone", "02112345678"),  # a Tehran landline: no SMS reaches it
        ("email", "not-an-email"),
        ("password", "short1!"),
        ("password", "alllowercase1!"),
        ("password", "NoDigitsHere!"),
        ("password", "NoSymbols123"),
        ("password", "P@ssw0rd"),
        ("city", 999999),
    ],
)
def test_sign_up_answers_400_naming_the_bad_field(api, field, value):
    response = api.post("/api/auth/signup/", {**SIGNUP, field: value})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not User.objects.exists()
    assert outbox.mail == []


def test_sign_up_refuses_a_password_like_the_email(api):
    response = api.post(
        "/api/auth/signup/",
        {**SIGNUP, "email": "qwertyuiop@example.com", "password": "Qwertyuiop1!"},
    )
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_an_expired_activation_link_is_refused_and_a_new_one_works(api):
    api.post("/api/auth/signup/", SIGNUP)
    old = outbox.link_token(outbox.mail[0])
    ActivationToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api.post("/api/auth/activate/", {"token": old})
    assert expired.status_code == 400
    assert expired.json()["code"] == "token_expired"

    resent = api.post("/api/auth/activate/resend/", {"email": "NEW.member@example.com"})
    assert resent.status_code == 202
    assert len(outbox.mail) == 2
    assert api.post("/api/auth/activate/", {"token": old}).json()["code"] == "token_invalid"
    assert (
        api.post("/api/auth/activate/", {"token": outbox.link_token(outbox.mail[1])}).status_code
        == 204
    )
    assert User.objects.get(email="new.member@example.com").is_active


def test_an_activation_link_works_once(api):
    api.post("/api/auth/signup/", SIGNUP)
    token = outbox.link_token(outbox.mail[0])
    assert api.post("/api/auth/activate/", {"token": token}).status_code == 204
    again = api.post("/api/auth/activate/", {"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "token_invalid"


def test_resend_answers_202_for_unknown_and_active_emails_and_sends_nothing(api, member):
    for email in ("nobody@example.com", member.email):
        response = api.post("/api/auth/activate/resend/", {"email": email})
        assert response.status_code == 202
    assert outbox.mail == []


def test_wrong_password_and_unknown_user_look_the_same(api, member):
    wrong = api.post("/api/auth/login/", {"username": member.email, "password": "Wr0ng!pass"})
    unknown = api.post("/api/auth/login/", {"username": "x@example.com", "password": "Wr0ng!pass"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert outbox.sms == []


def test_an_inactive_account_with_a_wrong_password_gets_the_generic_answer(api):
    user = UserFactory(is_active=False)
    response = api.post("/api/auth/login/", {"username": user.email, "password": "Wr0ng!pass"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_accepts_the_email_in_any_case(api, member):
    response = api.post(
        "/api/auth/login/", {"username": member.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200


def test_login_and_verify_reject_missing_fields(api):
    assert api.post("/api/auth/login/", {"username": "a@example.com"}).status_code == 400
    response = api.post("/api/auth/login/verify/", {"otp_token": "x", "code": "12ab56"})
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def _start(api, user) -> str:
    return api.post("/api/auth/login/", {"username": user.email, "password": PASSWORD}).json()[
        "otp_token"
    ]


def test_an_expired_code_is_refused(api, member):
    otp_token = _start(api, member)
    code = outbox.last_code()
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert response.status_code == 400
    assert response.json()["code"] == "otp_expired"


def test_a_code_works_only_once(api, member):
    otp_token = _start(api, member)
    code = outbox.last_code()
    first = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    second = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["code"] == "otp_token_invalid"


def test_five_wrong_codes_burn_the_challenge(api, member):
    otp_token = _start(api, member)
    code = outbox.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        response = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": wrong})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_code"
        left.append(response.json()["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    burned = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert burned.status_code == 400
    assert burned.json()["code"] == "otp_token_invalid"


def test_a_new_login_replaces_the_earlier_code(api, member):
    first = _start(api, member)
    first_code = outbox.last_code()
    _start(api, member)
    response = api.post("/api/auth/login/verify/", {"otp_token": first, "code": first_code})
    assert response.json()["code"] == "otp_token_invalid"


def test_login_is_throttled_per_account_with_retry_after(api, member, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "3/min"}
    for _ in range(3):
        api.post("/api/auth/login/", {"username": member.email, "password": "Wr0ng!pass"})
    response = api.post("/api/auth/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert outbox.sms == []


def test_login_is_throttled_per_client_ip_across_accounts(api, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_ip": "4/min"}
    statuses = [
        api.post("/api/auth/login/", {"username": f"u{i}@example.com", "password": "x"}).status_code
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


def test_a_spoofed_forwarded_for_header_does_not_escape_the_ip_throttle(api, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_ip": "2/min"}
    statuses = [
        api.post(
            "/api/auth/login/",
            {"username": f"u{i}@example.com", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses[-1] == 429


def test_code_verification_is_throttled_per_account(api, member, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "verify_account": "2/min"}
    otp_token = _start(api, member)
    code = outbox.last_code()
    for _ in range(2):
        api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": "000000"})
    response = api.post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert OtpChallenge.objects.get().used_at is None


def test_code_verification_is_throttled_per_client_ip(api, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "verify_ip": "2/min"}
    statuses = [
        api.post("/api/auth/login/verify/", {"otp_token": "nope", "code": "123456"}).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_refresh_refuses_garbage_and_access_tokens(api, member):
    assert api.post("/api/auth/token/refresh/", {"refresh": "garbage"}).status_code == 401
    access = tokens_for(member)["access"]
    assert api.post("/api/auth/token/refresh/", {"refresh": access}).status_code == 401
    assert api.post("/api/auth/token/refresh/", {}).status_code == 400


def test_logout_refuses_a_refresh_token_of_someone_else_and_changes_nothing(member, other_member):
    mine = tokens_for(member)
    theirs = tokens_for(other_member)
    client = bearer(mine["access"])
    response = client.post("/api/auth/logout/", {"refresh": theirs["refresh"]})
    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]
    assert client.get("/api/users/me/").status_code == 200


def test_logout_needs_a_token(api):
    assert api.post("/api/auth/logout/", {"refresh": "x"}).status_code == 401


def test_logout_leaves_other_sessions_working(member):
    first, second = tokens_for(member), tokens_for(member)
    bearer(first["access"]).post("/api/auth/logout/", {"refresh": first["refresh"]})
    assert bearer(second["access"]).get("/api/users/me/").status_code == 200


def test_password_change_revokes_every_token_and_the_new_password_signs_in(api, member):
    old = login(api, member)
    client = bearer(old["access"])
    new_password = "An0ther!Secret"
    changed = client.post(
        "/api/auth/password/change/", {"old_password": PASSWORD, "new_password": new_password}
    )
    assert changed.status_code == 204
    assert client.get("/api/users/me/").status_code == 401
    assert api.post("/api/auth/token/refresh/", {"refresh": old["refresh"]}).status_code == 401
    fresh = login(api, member, password=new_password)
    assert bearer(fresh["access"]).get("/api/users/me/").status_code == 200


def test_password_change_refuses_a_wrong_old_password_or_a_weak_new_one(member):
    client = bearer(tokens_for(member)["access"])
    wrong = client.post(
        "/api/auth/password/change/",
        {"old_password": "Wr0ng!pass", "new_password": "An0ther!Secret"},
    )
    assert wrong.status_code == 400
    assert "old_password" in wrong.json()["errors"]
    weak = client.post(
        "/api/auth/password/change/", {"old_password": PASSWORD, "new_password": "weakweak"}
    )
    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert client.get("/api/users/me/").status_code == 200


def test_password_reset_by_email_sets_a_new_password_and_revokes_tokens(api, member):
    old = tokens_for(member)
    assert api.post("/api/auth/password/reset/", {"email": member.email}).status_code == 202
    token = outbox.link_token(outbox.mail[-1])
    confirmed = api.post(
        "/api/auth/password/reset/confirm/", {"token": token, "new_password": "Res3t!Secret"}
    )
    assert confirmed.status_code == 204
    assert bearer(old["access"]).get("/api/users/me/").status_code == 401
    assert login(api, member, password="Res3t!Secret")["access"]
    again = api.post(
        "/api/auth/password/reset/confirm/", {"token": token, "new_password": "Res3t!Secret2"}
    )
    assert again.json()["code"] == "token_invalid"


def test_password_reset_answers_202_for_an_unknown_email_and_sends_nothing(api):
    assert api.post("/api/auth/password/reset/", {"email": "nobody@example.com"}).status_code == 202
    assert outbox.mail == []


def test_an_expired_reset_link_or_a_weak_password_is_refused(api, member):
    api.post("/api/auth/password/reset/", {"email": member.email})
    token = outbox.link_token(outbox.mail[-1])
    weak = api.post("/api/auth/password/reset/confirm/", {"token": token, "new_password": "abc"})
    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api.post(
        "/api/auth/password/reset/confirm/", {"token": token, "new_password": "Res3t!Secret"}
    )
    assert expired.json()["code"] == "token_expired"
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_email_requests_are_throttled_per_client(api, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "email_ip": "2/min"}
    api.post("/api/auth/password/reset/", {"email": "a@example.com"})
    api.post("/api/auth/activate/resend/", {"email": "a@example.com"})
    response = api.post("/api/auth/password/reset/", {"email": "a@example.com"})
    assert response.status_code == 429


def test_revocation_rejects_old_tokens_and_a_new_login_works(api, member, admin):
    old = login(api, member)
    revoked = bearer(tokens_for(admin)["access"]).post(
        f"/api/admin/users/{member.pk}/revoke-tokens/"
    )
    assert revoked.status_code == 204
    rejected = bearer(old["access"]).get("/api/users/me/")
    assert rejected.status_code == 401
    assert rejected.json()["code"] == "token_revoked"
    assert api.post("/api/auth/token/refresh/", {"refresh": old["refresh"]}).status_code == 401
    fresh = login(api, member)
    assert bearer(fresh["access"]).get("/api/users/me/").status_code == 200
    assert api.post("/api/auth/token/refresh/", {"refresh": fresh["refresh"]}).status_code == 200


def test_an_admin_cannot_revoke_another_admin(admin):
    other_admin = UserFactory(is_staff=True)
    response = bearer(tokens_for(admin)["access"]).post(
        f"/api/admin/users/{other_admin.pk}/revoke-tokens/"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "cannot_revoke_admin"
    other_admin.refresh_from_db()
    assert other_admin.tokens_valid_after is None


def test_revoking_an_unknown_user_is_404(admin):
    client = bearer(tokens_for(admin)["access"])
    assert client.post("/api/admin/users/999999/revoke-tokens/").status_code == 404


class OutOfServiceSmsBackend(sms.BaseSmsBackend):
    """An SMS provider that is down."""

    def send(self, message):
        raise ConnectionError("provider unreachable")


def test_an_sms_provider_outage_is_not_a_server_error(api, member, settings):
    """Any backend's own error is a 503 `sms_unavailable` (never a 500), the challenge kept."""
    settings.SMS_BACKEND = f"{__name__}.OutOfServiceSmsBackend"
    response = api.post("/api/auth/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    assert OtpChallenge.objects.filter(user=member).count() == 1


def test_the_account_throttle_counts_email_and_phone_attempts_together(api, member, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "2/min"}
    api.post("/api/auth/login/", {"username": member.email, "password": "Wr0ng!pass"})
    api.post("/api/auth/login/", {"username": member.phone, "password": "Wr0ng!pass"})
    response = api.post(
        "/api/auth/login/", {"username": member.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 429
