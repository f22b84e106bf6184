"""Changing the phone or the email, each proven by a code or link sent to the new one."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts import sms
from accounts.errors import (
    AlreadyRegistered,
    InvalidCode,
    InvalidInput,
    PhoneChangeExpired,
    PhoneChangeInvalid,
)
from accounts.models import (
    EmailChangeToken,
    OtpChallenge,
    PasswordResetToken,
    PhoneChangeChallenge,
    User,
)
from accounts.services._common import (
    EMAIL_TAKEN,
    PHONE_TAKEN,
    TokenPair,
    _audit,
    _digest,
    _ensure_unique,
    _in_language_of,
    _issue_link_token,
    _issue_pair,
    _mail_after_commit,
    _mail_link,
    _normalize_email,
    _phone_or_invalid,
    _redeem_link_row,
    _revoke_all_tokens,
    _validation_errors,
)
from accounts.throttling import throttle_hit

PHONE_CHANGE_LIFETIME = timedelta(minutes=5)
# English msgids, translated where they are used.
PHONE_CHANGE_SMS_TEXT = gettext_noop(
    "Your library code to confirm this new phone number is %(code)s"
)
PHONE_CHANGED_TEXT = gettext_noop(
    "The phone number of your library account was changed to the number ending in %(tail)s. "
    "If this was not you, reset your password and contact the library."
)
EMAIL_CHANGE_LIFETIME = timedelta(hours=1)
EMAIL_CHANGE_REQUESTED_TEXT = gettext_noop(
    "Someone signed in to your library account asked to change its email address to %(new)s. "
    "It changes only once the link mailed there is followed. "
    "If this was not you, change your password now."
)
EMAIL_CHANGED_TEXT = gettext_noop(
    "The email address of your library account was changed to %(new)s. "
    "If this was not you, contact the library."
)


@dataclass(frozen=True)
class PhoneChangeStarted:
    change_token: str
    expires_in: int  # seconds


def _check_password_for_contact_change(*, user: User, password: str, client_ip: str) -> None:
    """Throttled per client IP before any hashing, and per account (every start sends a message)."""
    throttle_hit(scope="password_ip", ident=client_ip)
    throttle_hit(scope="contact_change_account", ident=f"user:{user.pk}")
    if not user.check_password(password):
        _audit("auth.contact_change_failed", user_id=user.pk, reason="wrong_password")
        raise InvalidInput({"password": [_("The password is wrong.")]})


def _validate_new_phone(*, user: User, phone: str) -> str:
    """The new number in E.164, once it is a mobile number, not the current one, and free."""
    phone = _phone_or_invalid(phone)
    if phone == user.phone:
        raise InvalidInput({"phone": [_("This is already your phone number.")]})
    _ensure_unique(phone=phone, exclude_pk=user.pk)
    return phone


def _validate_new_email(*, user: User, email: str) -> None:
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, "email")) from exc
    if email == _normalize_email(user.email):
        raise InvalidInput({"email": [_("This is already your email address.")]})
    _ensure_unique(email=email, exclude_pk=user.pk)


def user_phone_change_start(
    *, user: User, password: str, phone: str, client_ip: str
) -> PhoneChangeStarted:
    """Step one of a phone change: the password, then a 6-digit code texted to the NEW number
    (after commit; `SmsUnavailable` when the provider cannot take it), which proves the member
    holds it. One pending change per user."""
    _check_password_for_contact_change(user=user, password=password, client_ip=client_ip)
    phone = _validate_new_phone(user=user, phone=phone)
    change_token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PhoneChangeChallenge.objects.filter(user=user, used_at=None).delete()
        PhoneChangeChallenge.objects.create(
            user=user,
            new_phone=phone,
            token_hash=_digest("phone-change-token", change_token),
            code_hash=_digest("phone-change-code", f"{change_token}:{code}"),
            expires_at=timezone.now() + PHONE_CHANGE_LIFETIME,
        )
    # Sent after the commit, as the sign-in code is: a provider outage answers 503 at once and
    # starting again replaces this change with a fresh code.
    with _in_language_of(user):
        body = _(PHONE_CHANGE_SMS_TEXT) % {"code": code}
    sms.send_sms(
        to=phone,
        body=body,
        code=code,
        purpose=sms.PHONE_CHANGE_CODE,
    )
    _audit("auth.phone_change_started", user_id=user.pk)
    return PhoneChangeStarted(
        change_token=change_token, expires_in=int(PHONE_CHANGE_LIFETIME.total_seconds())
    )


def user_phone_change_confirm(*, user: User, change_token: str, code: str) -> TokenPair:
    """Step two: the code from the new number sets it. Every token issued before now is revoked
    (other sessions end) and the caller gets a new pair; pending sign-in codes die; the old number
    and the email are told after commit. The 5th wrong code burns the change."""
    throttle_hit(scope="verify_account", ident=str(user.pk))
    now = timezone.now()
    failure: InvalidCode | None = None
    try:
        with transaction.atomic():
            account = User.objects.select_for_update().get(pk=user.pk)
            challenge = _pending_phone_change(user=account, change_token=change_token, at=now)
            expected = _digest("phone-change-code", f"{change_token}:{code}")
            if hmac.compare_digest(challenge.code_hash, expected):
                pair = _phone_change_apply(user=account, challenge=challenge, at=now)
            else:
                challenge.record_failure()
                challenge.save(update_fields=["failed_attempts"])
                failure = InvalidCode(attempts_left=challenge.attempts_left)
    except IntegrityError as exc:  # another account took the number since our uniqueness check
        raise AlreadyRegistered({"phone": [_(PHONE_TAKEN)]}) from exc
    if failure is not None:
        _audit("auth.phone_change_failed", user_id=user.pk, reason="wrong_code")
        raise failure
    _audit("auth.phone_changed", user_id=user.pk)
    return pair


def _pending_phone_change(*, user: User, change_token: str, at: datetime) -> PhoneChangeChallenge:
    """The user's own live change, locked; another user's token is as unknown as a made-up one."""
    challenge = (
        PhoneChangeChallenge.objects.select_for_update()
        .filter(user=user, token_hash=_digest("phone-change-token", change_token or ""))
        .first()
    )
    if challenge is None or challenge.is_spent:
        _audit("auth.phone_change_failed", user_id=user.pk, reason="unknown_or_spent_change")
        raise PhoneChangeInvalid()
    if challenge.is_expired(at):
        _audit("auth.phone_change_failed", user_id=user.pk, reason="expired")
        raise PhoneChangeExpired()
    return challenge


def _phone_change_apply(*, user: User, challenge: PhoneChangeChallenge, at: datetime) -> TokenPair:
    _ensure_unique(phone=challenge.new_phone, exclude_pk=user.pk)
    challenge.mark_used(at)
    challenge.save(update_fields=["used_at"])
    old_phone = user.phone
    user.phone = challenge.new_phone
    _revoke_all_tokens(user, at=at)
    user.save(update_fields=["phone", "tokens_valid_after"])
    OtpChallenge.objects.filter(user=user, used_at=None).delete()  # codes sent to the old number
    with _in_language_of(user):
        notice = _(PHONE_CHANGED_TEXT) % {"tail": user.phone[-4:]}
        subject = _("Library: your phone number was changed")
    transaction.on_commit(lambda: sms.send_sms(to=old_phone, body=notice), robust=True)
    _mail_after_commit(to=user.email, subject=subject, body=notice)
    return _issue_pair(user)


def user_email_change_start(*, user: User, password: str, email: str, client_ip: str) -> None:
    """Step one of an email change: the password, then a link (1 hour) mailed to the NEW address;
    the current address is told a change was asked for."""
    _check_password_for_contact_change(user=user, password=password, client_ip=client_ip)
    email = _normalize_email(email)
    _validate_new_email(user=user, email=email)
    with transaction.atomic():
        raw = _issue_link_token(
            EmailChangeToken, user=user, lifetime=EMAIL_CHANGE_LIFETIME, new_email=email
        )
        _mail_link(
            user=user,
            raw=raw,
            path="change-email",
            subject=gettext_lazy("Library: confirm your new email address"),
            what=gettext_lazy("Confirm this address as the new email of your library account"),
            hours=1,
            to=email,
        )
        with _in_language_of(user):
            _mail_after_commit(
                to=user.email,
                subject=_("Library: a change of your email address was asked for"),
                body=_(EMAIL_CHANGE_REQUESTED_TEXT) % {"new": email},
            )
    _audit("auth.email_change_started", user_id=user.pk)


def user_email_change_confirm(*, token: str) -> User:
    """Step two, from the link in the new mailbox: the address becomes the account's email (and
    login); reset links mailed to the old address die; the old address is told."""
    try:
        with transaction.atomic():
            link = _redeem_link_row(EmailChangeToken, token=token)
            user = link.user  # locked with the link's row
            _ensure_unique(email=link.new_email, exclude_pk=user.pk)
            old_email = user.email
            user.email = link.new_email
            user.save(update_fields=["email"])
            PasswordResetToken.objects.filter(user=user).delete()
            with _in_language_of(user):
                _mail_after_commit(
                    to=old_email,
                    subject=_("Library: your email address was changed"),
                    body=_(EMAIL_CHANGED_TEXT) % {"new": user.email},
                )
    except IntegrityError as exc:  # another account took the address since our uniqueness check
        raise AlreadyRegistered({"email": [_(EMAIL_TAKEN)]}) from exc
    _audit("auth.email_changed", user_id=user.pk)
    return user
