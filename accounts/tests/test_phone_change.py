"""Changing the second factor (the phone) or the login (the email) needs the password and proof
that the new one is the member's; the old one is told. The profile update refuses both."""

import logging
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import EmailChangeToken, PasswordResetToken, PhoneChangeChallenge, User
from accounts.services import credentials_purge_expired, user_update
from accounts.tests.conftest import as_user, bearer, login, tokens_for
from accounts.tests.factories import PASSWORD, CustomerFactory
from core.log_format import JsonFormatter
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PHONE = "+989351112233"


def _start_phone_change(client: APIClient, phone: str = NEW_PHONE, password: str = PASSWORD):
    return client.post("/api/users/me/phone/", {"password": password, "phone": phone})


def _started(client: APIClient, phone: str = NEW_PHONE) -> tuple[str, str]:
    """A started phone change: its change_token and the code texted to `phone`."""
    response = _start_phone_change(client, phone)
    assert response.status_code == 202, response.json()
    return response.json()["change_token"], outbox.last_code(phone)


def _confirm(client: APIClient, change_token: str, code: str):
    return client.post("/api/users/me/phone/confirm/", {"change_token": change_token, "code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


class CountingHasher(MD5PasswordHasher):
    """The tests' MD5 hasher, counting how often a password is checked."""

    checks = 0

    def verify(self, password, encoded):
        CountingHasher.checks += 1
        return super().verify(password, encoded)


# --- the profile update refuses a new phone or email -------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_profile_update_refuses_a_new_phone_and_changes_nothing(member, method):
    original = member.phone
    body = {"first_name": "Leila", "last_name": "Karimi", "phone": NEW_PHONE}
    response = getattr(as_user(member), method)("/api/users/me/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "use_phone_change"
    assert "/api/users/me/phone/" in response.json()["errors"]["phone"][0]
    member.refresh_from_db()
    assert (member.phone, member.first_name) == (original, "Mina")
    assert outbox.sms == []


def test_the_profile_update_refuses_a_new_email_and_changes_nothing(member):
    original = member.email
    response = as_user(member).patch("/api/users/me/", {"email": "other@example.com"})
    assert response.status_code == 400
    assert response.json()["code"] == "use_email_change"
    assert "/api/users/me/email/" in response.json()["errors"]["email"][0]
    member.refresh_from_db()
    assert member.email == original


def test_the_profile_update_accepts_my_current_phone_and_email_sent_back(member):
    body = {"first_name": "Leila", "phone": member.phone, "email": member.email.upper()}
    response = as_user(member).patch("/api/users/me/", body)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Leila"


def test_staff_still_change_a_phone_through_the_admin_service(member):
    user_update(user=member, data={"phone": NEW_PHONE})
    member.refresh_from_db()
    assert member.phone == NEW_PHONE


# --- phone change, step 1 ------------------------------------------------------------------------


def test_starting_a_phone_change_texts_a_code_to_the_new_number_only(member):
    response = _start_phone_change(as_user(member))
    assert response.status_code == 202
    body = response.json()
    assert body["expires_in"] == 300
    assert [message.to for message in outbox.sms] == [NEW_PHONE]
    code = outbox.last_code(NEW_PHONE)
    challenge = PhoneChangeChallenge.objects.get(user=member)
    assert challenge.new_phone == NEW_PHONE
    assert body["change_token"] not in challenge.token_hash
    assert code not in challenge.code_hash
    member.refresh_from_db()
    assert member.phone != NEW_PHONE  # nothing changes before the code comes back


def test_a_wrong_password_starts_nothing_and_sends_nothing(member):
    response = _start_phone_change(as_user(member), password="Wrong!Passw0rd")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}
    assert outbox.sms == []
    assert not PhoneChangeChallenge.objects.exists()


def test_another_accounts_phone_cannot_be_claimed(member, other_member):
    response = _start_phone_change(as_user(member), phone=other_member.phone)
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    assert outbox.sms == []


@pytest.mark.parametrize("phone", ["0912", "+98 935 111 22", "phone", "02112345678"])
def test_a_malformed_phone_is_a_clean_400(member, phone):
    response = _start_phone_change(as_user(member), phone=phone)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone"}


def test_my_current_phone_is_no_change(member):
    response = _start_phone_change(as_user(member), phone=member.phone)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone"}
    assert outbox.sms == []


def test_the_password_is_throttled_per_client_before_it_is_hashed(member, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "password_ip": "2/min"}
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.checks = 0
    client = as_user(member)
    for _ in range(2):
        assert _start_phone_change(client, password="Wrong!Passw0rd").status_code == 400
    assert CountingHasher.checks == 2
    throttled = _start_phone_change(client)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert CountingHasher.checks == 2
    assert outbox.sms == []


def test_phone_and_email_changes_are_throttled_per_account_across_clients(member, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "contact_change_account": "2/h"}
    client = as_user(member)
    assert _start_phone_change(client).status_code == 202
    elsewhere = client.post(
        "/api/users/me/email/",
        {"password": PASSWORD, "email": "new@example.com"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert elsewhere.status_code == 202
    third = client.post(
        "/api/users/me/phone/",
        {"password": PASSWORD, "phone": "+989351112244"},
        REMOTE_ADDR="10.0.0.10",
    )
    assert third.status_code == 429
    assert [message.to for message in outbox.sms] == [NEW_PHONE]


# --- phone change, step 2 ------------------------------------------------------------------------


def test_the_code_sets_the_phone_tells_the_old_number_and_email_and_ends_other_sessions(
    api, member
):
    old_phone = member.phone
    other_session = login(APIClient(), member)
    pending_login = api.post("/api/auth/login/", {"username": member.email, "password": PASSWORD})
    old_code = outbox.last_code(old_phone)
    client = as_user(member)
    change_token, code = _started(client)
    outbox.mail.clear()

    response = _confirm(client, change_token, code)

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.phone == NEW_PHONE
    notice = outbox.sms_to(old_phone)[-1]
    assert "changed" in notice.body and NEW_PHONE[-4:] in notice.body
    assert [message.to for message in outbox.mail] == [[member.email]]
    assert "changed" in outbox.mail[0].subject
    # every other session ends; the caller goes on with the pair from the answer
    assert client.get("/api/users/me/").status_code == 401
    assert bearer(other_session["access"]).get("/api/users/me/").status_code == 401
    stale = api.post("/api/auth/token/refresh/", {"refresh": other_session["refresh"]})
    assert stale.status_code == 401
    assert bearer(response.json()["access"]).get("/api/users/me/").json()["phone"] == NEW_PHONE
    # a login code already texted to the old number is dead
    dead = api.post(
        "/api/auth/login/verify/",
        {"otp_token": pending_login.json()["otp_token"], "code": old_code},
    )
    assert dead.json()["code"] == "otp_token_invalid"


def test_sign_in_codes_go_to_the_new_number_after_the_change(api, member):
    old_phone = member.phone
    client = as_user(member)
    assert _confirm(client, *_started(client)).status_code == 200
    outbox.sms.clear()
    login(api, member)
    assert [message.to for message in outbox.sms] == [NEW_PHONE]
    assert old_phone != NEW_PHONE


def test_five_wrong_codes_burn_the_change(member):
    client = as_user(member)
    change_token, code = _started(client)
    for left in (4, 3, 2, 1, 0):
        wrong = _confirm(client, change_token, _wrong(code))
        assert wrong.status_code == 400
        assert (wrong.json()["code"], wrong.json()["attempts_left"]) == ("invalid_code", left)
    burned = _confirm(client, change_token, code)
    assert burned.status_code == 400
    assert burned.json()["code"] == "change_token_invalid"
    member.refresh_from_db()
    assert member.phone != NEW_PHONE


def test_an_expired_change_is_refused(member):
    client = as_user(member)
    change_token, code = _started(client)
    PhoneChangeChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _confirm(client, change_token, code)
    assert response.status_code == 400
    assert response.json()["code"] == "change_expired"
    member.refresh_from_db()
    assert member.phone != NEW_PHONE


def test_a_change_works_once(member):
    client = as_user(member)
    change_token, code = _started(client)
    pair = _confirm(client, change_token, code).json()
    again = _confirm(bearer(pair["access"]), change_token, code)
    assert again.status_code == 400
    assert again.json()["code"] == "change_token_invalid"


def test_another_member_cannot_use_my_change_token(member, other_member):
    client = as_user(member)
    change_token, code = _started(client)
    stolen = _confirm(as_user(other_member), change_token, code)
    assert stolen.status_code == 400
    assert stolen.json()["code"] == "change_token_invalid"
    other_member.refresh_from_db()
    assert other_member.phone != NEW_PHONE
    assert _confirm(client, change_token, code).status_code == 200


def test_a_number_taken_between_the_two_steps_is_refused(member, other_member):
    client = as_user(member)
    change_token, code = _started(client)
    user_update(user=other_member, data={"phone": NEW_PHONE})
    response = _confirm(client, change_token, code)
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    member.refresh_from_db()
    assert member.phone != NEW_PHONE


def _at_once(calls: list) -> list:
    """Run each call in its own thread (own connection), released together; their results."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
def test_two_members_confirming_the_same_new_number_at_once_give_one_winner():
    for round_number in range(3):
        phone = f"+98935999000{round_number}"
        calls = []
        for _ in range(2):
            client = bearer(tokens_for(CustomerFactory().user)["access"])
            change_token, code = _started(client, phone)
            calls.append(lambda c=client, t=change_token, k=code: _confirm(c, t, k))
        answers = sorted(((r.status_code, r.json().get("code")) for r in _at_once(calls)), key=str)
        assert answers == [(200, None), (400, "already_registered")]
        assert User.objects.filter(phone=phone).count() == 1


# --- email change --------------------------------------------------------------------------------


def _start_email_change(client, email="new.address@example.com", password=PASSWORD):
    return client.post("/api/users/me/email/", {"password": password, "email": email})


def test_an_email_change_mails_a_link_to_the_new_address_and_tells_the_old_one(member):
    original = member.email
    response = _start_email_change(as_user(member), email="New.Address@Example.com")
    assert response.status_code == 202
    recipients = sorted(message.to[0] for message in outbox.mail)
    assert recipients == sorted(["new.address@example.com", original])
    to_old = outbox.mail_to(original)[0]
    assert "token=" not in to_old.body  # the link goes to the new address only
    raw = outbox.link_token(to="new.address@example.com")
    assert not EmailChangeToken.objects.filter(token_hash__contains=raw).exists()
    member.refresh_from_db()
    assert member.email == original


def test_the_link_sets_the_new_email_and_the_old_address_is_told(api, member):
    original = member.email
    PasswordResetToken.objects.create(
        user=member, token_hash="x" * 64, expires_at=timezone.now() + timedelta(hours=1)
    )
    _start_email_change(as_user(member))
    raw = outbox.link_token(outbox.mail[0])
    outbox.mail.clear()
    response = api.post("/api/users/me/email/confirm/", {"token": raw})
    assert response.status_code == 204
    member.refresh_from_db()
    assert member.email == "new.address@example.com"
    assert [message.to for message in outbox.mail] == [[original]]
    assert "new.address@example.com" in outbox.mail[0].body
    assert not PasswordResetToken.objects.filter(user=member).exists()
    signed_in = api.post(
        "/api/auth/login/", {"username": "new.address@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    again = api.post("/api/users/me/email/confirm/", {"token": raw})
    assert again.json()["code"] == "token_invalid"


def test_an_email_change_needs_the_password(member):
    response = _start_email_change(as_user(member), password="Wrong!Passw0rd")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}
    assert outbox.mail == []


@pytest.mark.parametrize("taken", ["same", "other"])
def test_a_taken_or_unchanged_email_is_refused(member, other_member, taken):
    email = member.email if taken == "same" else other_member.email.upper()
    response = _start_email_change(as_user(member), email=email)
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert outbox.mail == []


def test_an_expired_email_link_is_refused(api, member):
    _start_email_change(as_user(member))
    raw = outbox.link_token(outbox.mail[0])
    EmailChangeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post("/api/users/me/email/confirm/", {"token": raw})
    assert response.json()["code"] == "token_expired"
    original = member.email
    member.refresh_from_db()
    assert member.email == original


def test_an_address_taken_before_the_link_is_followed_is_refused(api, member, other_member):
    _start_email_change(as_user(member))
    raw = outbox.link_token(outbox.mail[0])
    User.objects.filter(pk=other_member.pk).update(email="new.address@example.com")
    response = api.post("/api/users/me/email/confirm/", {"token": raw})
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"


def test_expired_changes_are_purged(member):
    client = as_user(member)
    _started(client)
    _start_email_change(client)
    later = timezone.now() + timedelta(days=1)
    deleted = credentials_purge_expired(now=later)
    assert (deleted["PhoneChangeChallenge"], deleted["EmailChangeToken"]) == (1, 1)


def test_changes_are_logged_by_who_and_what_never_with_a_code_token_or_password(
    api, member, caplog
):
    caplog.set_level(logging.INFO)
    client = as_user(member)
    change_token, code = _started(client)
    _confirm(client, change_token, _wrong(code))
    pair = _confirm(client, change_token, code).json()
    client = bearer(pair["access"])
    _start_email_change(client)
    link_token = outbox.link_token(outbox.mail[-2])
    api.post("/api/users/me/email/confirm/", {"token": link_token})

    events = [(r.event, getattr(r, "reason", None)) for r in caplog.records if hasattr(r, "event")]
    assert events[-5:] == [
        ("auth.phone_change_started", None),
        ("auth.phone_change_failed", "wrong_code"),
        ("auth.phone_changed", None),
        ("auth.email_change_started", None),
        ("auth.email_changed", None),
    ]
    assert all(getattr(r, "user_id", member.pk) == member.pk for r in caplog.records)
    rendered = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    secrets = [change_token, code, link_token, PASSWORD, pair["access"], pair["refresh"]]
    assert [secret for secret in secrets if secret in rendered] == []
