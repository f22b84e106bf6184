"""Wrong login codes add up across challenges and lock the account's second step for a growing
while; the owner hears of each lockout once, by SMS and email."""

import logging
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.errors import InvalidCode, LoginCodeLocked
from accounts.models import LoginCodeLockout, Notification, NotificationKind, OtpChallenge
from accounts.services._common import _digest
from accounts.tests.factories import PASSWORD, CustomerFactory
from accounts.tests.test_concurrency import _race
from library_project.tests.outbox import outbox

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_in_process")]

IP = "10.1.2.3"


@pytest.fixture(autouse=True)
def _no_cache_throttles(settings):
    """The per-minute cache throttles would stop these runs of wrong codes first."""
    settings.AUTH_THROTTLE_RATES = {}
    settings.LOGIN_CODE_LOCKOUT_EVERY = 5
    settings.LOGIN_CODE_LOCKOUT_MINUTES = [5, 15, 60]
    settings.LOGIN_CODE_WRONG_PER_DAY = 20


@pytest.fixture
def owner():
    return CustomerFactory().user


def start(user) -> tuple[str, str]:
    """A new challenge; its token and the code texted for it."""
    issued = services.user_login_start(username=user.email, password=PASSWORD, client_ip=IP)
    return issued.otp_token, outbox.last_code()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def send_wrong_codes(user, count: int) -> None:
    """`count` wrong codes over as many challenges as it takes (4 per challenge, none burned)."""
    while count:
        otp_token, code = start(user)
        for _ in range(min(count, 4)):
            with pytest.raises(InvalidCode):
                services.user_login_code_check(otp_token=otp_token, code=wrong(code), client_ip=IP)
            count -= 1


def lockout_of(user) -> LoginCodeLockout:
    return LoginCodeLockout.objects.get(user=user)


def end_the_cool_down(user) -> None:
    LoginCodeLockout.objects.filter(user=user).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )


def seconds_locked(user) -> float:
    return (lockout_of(user).locked_until - timezone.now()).total_seconds()


def lockout_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=NotificationKind.LOGIN_CODE_LOCKOUT))


def test_every_fifth_wrong_code_locks_longer_and_the_twentieth_until_the_day_ends(owner):
    send_wrong_codes(owner, 4)
    assert lockout_of(owner).locked_until is None

    expected_minutes = [5, 15, 60]
    for minutes in expected_minutes:
        send_wrong_codes(owner, 1 if minutes == 5 else 5)
        assert minutes * 60 - 5 <= seconds_locked(owner) <= minutes * 60
        with pytest.raises(LoginCodeLocked):
            start(owner)
        end_the_cool_down(owner)

    send_wrong_codes(owner, 5)
    lockout = lockout_of(owner)
    assert lockout.wrong_codes == 20
    assert lockout.locked_until == lockout.window_started_at + timedelta(hours=24)
    assert len(lockout_notices(owner)) == 4


def test_a_wrong_code_after_the_24_hours_starts_a_new_count(owner):
    send_wrong_codes(owner, 4)
    LoginCodeLockout.objects.filter(user=owner).update(
        window_started_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    send_wrong_codes(owner, 1)
    assert lockout_of(owner).wrong_codes == 1
    assert lockout_of(owner).locked_until is None


def test_the_right_code_during_a_lockout_is_refused_with_the_time_to_wait(owner):
    send_wrong_codes(owner, 4)
    otp_token, code = start(owner)
    with pytest.raises(InvalidCode):  # the 5th wrong code of the day, on a fresh challenge
        services.user_login_code_check(otp_token=otp_token, code=wrong(code), client_ip=IP)

    answer = APIClient().post("/api/auth/login/verify/", {"otp_token": otp_token, "code": code})

    assert answer.status_code == 429
    assert answer.json()["code"] == "login_locked"
    assert 290 <= int(answer["Retry-After"]) <= 300
    assert answer.json()["retry_after"] == int(answer["Retry-After"])
    assert "access" not in answer.json()
    challenge = OtpChallenge.objects.get(user=owner)
    assert challenge.used_at is None and challenge.failed_attempts == 1


def test_no_new_code_is_texted_during_a_lockout(owner):
    send_wrong_codes(owner, 5)
    texted = len(outbox.sms)
    answer = APIClient().post("/api/auth/login/", {"username": owner.email, "password": PASSWORD})
    assert answer.status_code == 429
    assert answer.json()["code"] == "login_locked"
    assert 290 <= int(answer["Retry-After"]) <= 300
    assert len(outbox.sms) == texted


def test_the_owner_is_told_once_per_lockout_by_sms_and_email(owner):
    send_wrong_codes(owner, 5)
    for _ in range(3):  # refused while locked: no new notice
        with pytest.raises(LoginCodeLocked):
            start(owner)

    notices = lockout_notices(owner)
    assert len(notices) == 1
    assert "5 wrong sign-in codes" in notices[0].message
    assert "change your password" in notices[0].message
    assert [m.body for m in outbox.sms if m.body == notices[0].message] == [notices[0].message]
    assert [m.to for m in outbox.sms if m.body == notices[0].message] == [owner.phone]
    assert [m.to for m in outbox.mail] == [[owner.email]]

    end_the_cool_down(owner)
    send_wrong_codes(owner, 4)
    assert len(lockout_notices(owner)) == 1
    send_wrong_codes(owner, 1)
    assert len(lockout_notices(owner)) == 2
    assert len(outbox.mail) == 2


def test_a_lockout_is_logged_once_without_code_or_token(owner, caplog):
    caplog.set_level(logging.INFO)
    send_wrong_codes(owner, 4)
    otp_token, code = start(owner)
    with pytest.raises(InvalidCode):
        services.user_login_code_check(otp_token=otp_token, code=wrong(code), client_ip=IP)

    locked = [r for r in caplog.records if getattr(r, "event", None) == "auth.login_locked"]
    assert len(locked) == 1
    assert locked[0].levelno == logging.WARNING
    assert (locked[0].user_id, locked[0].wrong_codes, locked[0].locked_for) == (owner.pk, 5, 300)
    for record in caplog.records:
        line = f"{record.getMessage()} {vars(record)}"
        assert otp_token not in line and wrong(code) not in line


@pytest.mark.postgres
def test_wrong_codes_sent_at_once_on_many_challenges_are_all_counted(owner):
    challenges = []
    for _ in range(5):  # five live challenges, as concurrent sign-ins could leave behind
        otp_token, code = secrets.token_urlsafe(32), "123456"
        OtpChallenge.objects.create(
            user=owner,
            token_hash=_digest("otp-token", otp_token),
            code_hash=_digest("otp-code", f"{otp_token}:{code}"),
            expires_at=timezone.now() + timedelta(minutes=2),
        )
        challenges.append(otp_token)
    pending = list(challenges)

    def guess():
        otp_token = pending.pop()
        try:
            services.user_login_code_check(otp_token=otp_token, code="654321", client_ip=IP)
        except InvalidCode as error:
            return error.code

    assert _race(guess, 5) == ["invalid_code"] * 5
    assert lockout_of(owner).wrong_codes == 5
    assert lockout_of(owner).locked_until is not None
    assert len(lockout_notices(owner)) == 1
