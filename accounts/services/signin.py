"""Sign-in in two steps (password, then a code texted to the phone) and the lockout of the
second step after wrong codes.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts import sms
from accounts.errors import (
    AccountInactive,
    InvalidCode,
    InvalidCredentials,
    LoginCodeLocked,
    OtpExpired,
    OtpTokenInvalid,
    SmsUnavailable,
)
from accounts.models import (
    LoginCodeLockout,
    NotificationKind,
    OtpChallenge,
    User,
)
from accounts.notifications import notify
from accounts.phones import normalize_phone
from accounts.services._common import (
    TokenPair,
    _audit,
    _digest,
    _in_language_of,
    _issue_pair,
    logger,
)
from accounts.throttling import throttle_hit
from core.l10n import local_datetime, local_number

OTP_LIFETIME = timedelta(minutes=2)
OTP_SMS_TEXT = gettext_noop("Your library login code is %(code)s")


@dataclass(frozen=True)
class OtpIssued:
    otp_token: str
    expires_in: int  # seconds


def _find_by_username(username: str) -> User | None:
    """A user by email (case-insensitive) or by phone, typed in any of the forms members use; a
    name that is neither is no account, answered as any unknown one."""
    username = (username or "").strip()
    if not username:
        return None
    if "@" in username:
        return User.objects.filter(email__iexact=username).first()
    try:
        phone = normalize_phone(username)
    except ValidationError:
        return None
    return User.objects.filter(phone=phone).first()


def user_login_start(*, username: str, password: str, client_ip: str) -> OtpIssued:
    """Step one: check the password, then text a 6-digit code (after commit; `SmsUnavailable`
    when the provider cannot take it).

    Unknown user and wrong password answer the same; `account_inactive` and `login_locked` only
    after a correct password. Throttled per client IP and per account name.
    """
    throttle_hit(scope="login_ip", ident=client_ip)
    user = _find_by_username(username)
    # One counter per account whether it is named by email or by phone.
    account = f"user:{user.pk}" if user else f"name:{(username or '').strip().lower()}"
    throttle_hit(scope="login_account", ident=account)
    if user is None:
        User().set_password(password)  # spend the hashing time anyway: no timing difference
        _audit("auth.login_failed", user_id=None, reason="unknown_account")
        raise InvalidCredentials()
    if not user.check_password(password):
        _audit("auth.login_failed", user_id=user.pk, reason="wrong_password")
        raise InvalidCredentials()
    if not user.is_active:
        _audit("auth.login_failed", user_id=user.pk, reason="inactive")
        raise AccountInactive()
    _refuse_while_locked(
        LoginCodeLockout.objects.filter(user_id=user.pk).first(), now=timezone.now()
    )

    otp_token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        OtpChallenge.objects.filter(user=user, used_at=None).delete()  # one live code at a time
        OtpChallenge.objects.create(
            user=user,
            token_hash=_digest("otp-token", otp_token),
            code_hash=_digest("otp-code", f"{otp_token}:{code}"),
            expires_at=timezone.now() + OTP_LIFETIME,
        )
    # Sent now, after the commit, not on commit: the member waits for the code, so a provider
    # outage is answered at once (503 `sms_unavailable`). The challenge stays as it was, nothing
    # counted against it or the account; asking again replaces it with a fresh code.
    with _in_language_of(user):
        body = _(OTP_SMS_TEXT) % {"code": code}
    try:
        sms.send_sms(to=user.phone, body=body, code=code, purpose=sms.LOGIN_CODE)
    except SmsUnavailable:
        _audit("auth.login_code_unsent", user_id=user.pk)
        raise
    _audit("auth.login_started", user_id=user.pk)
    return OtpIssued(otp_token=otp_token, expires_in=int(OTP_LIFETIME.total_seconds()))


def _refuse_while_locked(lockout: LoginCodeLockout | None, *, now: datetime) -> None:
    """No new code and no code accepted while the account's second step is locked."""
    if lockout is not None and lockout.is_locked(now):
        _audit("auth.login_refused", user_id=lockout.user_id, reason="locked")
        raise LoginCodeLocked(retry_after=lockout.seconds_locked(now))


def _record_wrong_code(*, user_id: int, now: datetime) -> None:
    """Count a wrong code against the account (row locked, in the caller's transaction); the
    wrong code that starts a lockout tells the owner once, by SMS and email after commit."""
    lockout, _created = LoginCodeLockout.objects.select_for_update().get_or_create(
        user_id=user_id, defaults={"window_started_at": now}
    )
    started = lockout.record_wrong_code(
        now,
        every=settings.LOGIN_CODE_LOCKOUT_EVERY,
        cooldowns=[timedelta(minutes=m) for m in settings.LOGIN_CODE_LOCKOUT_MINUTES],
        cap=settings.LOGIN_CODE_WRONG_PER_DAY,
    )
    lockout.save()
    if not started:
        return
    locked_for = lockout.seconds_locked(now)
    logger.warning(
        "auth.login_locked",
        extra={
            "event": "auth.login_locked",
            "user_id": user_id,
            "wrong_codes": lockout.wrong_codes,
            "locked_for": locked_for,
        },
    )
    notify(
        user_id=user_id,
        kind=NotificationKind.LOGIN_CODE_LOCKOUT,
        message=lambda: _lockout_notice(lockout),
        event_key=(
            f"login-code-lockout:{user_id}:{lockout.window_started_at.timestamp():.6f}:"
            f"{lockout.wrong_codes}"
        ),
    )


def _lockout_notice(lockout: LoginCodeLockout) -> str:
    """The lockout notice, in the active language (the member's, when `notify` calls it)."""
    entered = ngettext(
        "Someone entered %(count)s wrong sign-in code for your library account within 24 hours, "
        "after typing its password.",
        "Someone entered %(count)s wrong sign-in codes for your library account within 24 hours, "
        "after typing its password.",
        lockout.wrong_codes,
    ) % {"count": local_number(lockout.wrong_codes)}
    locked = _(
        "Signing in is locked until %(until)s. If this was not you, change your password now."
    ) % {"until": local_datetime(lockout.locked_until)}
    return f"{entered} {locked}"


def user_login_code_check(*, otp_token: str, code: str, client_ip: str) -> User:
    """Step two, shared by the API and the admin sign-in: redeem the challenge with its code.

    Single use; 2 minutes; the 5th wrong code burns the challenge; wrong codes across challenges
    lock the account's second step for a growing while. Throttled per client IP and per account.
    A wrong code is recorded (committed) before the error is raised.
    """
    throttle_hit(scope="verify_ip", ident=client_ip)
    otp_token = otp_token or ""
    now = timezone.now()
    failure: InvalidCode | None = None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(token_hash=_digest("otp-token", otp_token))
            .first()
        )
        if challenge is None or challenge.is_spent:
            _audit("auth.verify_failed", user_id=None, reason="unknown_or_spent_challenge")
            raise OtpTokenInvalid()
        throttle_hit(scope="verify_account", ident=str(challenge.user_id))
        if challenge.is_expired(now):
            _audit("auth.verify_failed", user_id=challenge.user_id, reason="expired")
            raise OtpExpired()
        _refuse_while_locked(
            LoginCodeLockout.objects.select_for_update().filter(user_id=challenge.user_id).first(),
            now=now,
        )
        expected = _digest("otp-code", f"{otp_token}:{code}")
        if not hmac.compare_digest(challenge.code_hash, expected):
            challenge.record_failure()
            challenge.save(update_fields=["failed_attempts"])
            _record_wrong_code(user_id=challenge.user_id, now=now)
            failure = InvalidCode(attempts_left=challenge.attempts_left)
        else:
            challenge.mark_used(now)
            challenge.save(update_fields=["used_at"])
            user = User.objects.get(pk=challenge.user_id)
            if not user.is_active:
                _audit("auth.verify_failed", user_id=user.pk, reason="inactive")
                raise AccountInactive()
            user.last_login = now
            user.save(update_fields=["last_login"])
    if failure is not None:
        _audit(
            "auth.verify_failed",
            user_id=challenge.user_id,
            reason="wrong_code",
            attempts_left=failure.extra["attempts_left"],
        )
        raise failure
    _audit("auth.login_verified", user_id=user.pk)
    return user


def user_login_verify(*, otp_token: str, code: str, client_ip: str) -> TokenPair:
    """Step two of the API: the checked code is exchanged for a JWT pair."""
    user = user_login_code_check(otp_token=otp_token, code=code, client_ip=client_ip)
    return _issue_pair(user)
