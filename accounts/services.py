"""The auth service: every write about users, customers, credentials and tokens.

Views, the Django admin and tasks call these functions; none of them holds auth logic of its own.
Secrets (activation and reset links, login codes, `otp_token`) are random, handed out once and
stored only as an HMAC keyed with SECRET_KEY. Email and SMS leave only after the transaction commits.
"""

import contextlib
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.errors import (
    AccountInactive,
    ActiveReservations,
    AdminOnly,
    AlreadyRegistered,
    CannotRevokeAdmin,
    InvalidCode,
    InvalidCredentials,
    InvalidInput,
    LinkTokenExpired,
    LinkTokenInvalid,
    LoginCodeLocked,
    OtpExpired,
    OtpTokenInvalid,
    PhoneChangeExpired,
    PhoneChangeInvalid,
    TokenNotValid,
    UseEmailChange,
    UsePhoneChange,
)
from accounts.models import (
    E164_VALIDATOR,
    ActivationToken,
    Customer,
    EmailChangeToken,
    LoginCodeLockout,
    Notification,
    NotificationKind,
    OtpChallenge,
    PasswordResetToken,
    PhoneChangeChallenge,
    RevokedAccessToken,
    SingleUseToken,
    TokenFamily,
    User,
)
from accounts.notifications import notify
from accounts.sms import send_sms
from accounts.throttling import throttle_hit
from accounts.tokens import RefreshToken, issued_before
from library_project.errors import NotFound
from library_project.permissions import has_admin_permissions

logger = logging.getLogger(__name__)


def _audit(event: str, **fields) -> None:
    """One structured log line per auth event: who and what, never a password, code or token."""
    logger.info(event, extra={"event": event, **fields})


ACTIVATION_LIFETIME = timedelta(hours=24)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
OTP_LIFETIME = timedelta(minutes=2)
OTP_SMS_TEXT = "Your library login code is {code}"
PHONE_CHANGE_LIFETIME = timedelta(minutes=5)
PHONE_CHANGE_SMS_TEXT = "Your library code to confirm this new phone number is {code}"
PHONE_CHANGED_TEXT = (
    "The phone number of your library account was changed to the number ending in {tail}. "
    "If this was not you, reset your password and contact the library."
)
EMAIL_CHANGE_LIFETIME = timedelta(hours=1)
EMAIL_CHANGE_REQUESTED_TEXT = (
    "Someone signed in to your library account asked to change its email address to {new}. "
    "It changes only once the link mailed there is followed. "
    "If this was not you, change your password now."
)
EMAIL_CHANGED_TEXT = (
    "The email address of your library account was changed to {new}. "
    "If this was not you, contact the library."
)
PHONE_TAKEN = "An account with this phone number already exists."
EMAIL_TAKEN = "An account with this email already exists."

USER_EDITABLE_FIELDS = ("first_name", "last_name", "phone")
PROFILE_FIELDS = ("first_name", "last_name")
CUSTOMER_EDITABLE_FIELDS = ("city", "address", "date_of_birth")


@dataclass(frozen=True)
class OtpIssued:
    otp_token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class PhoneChangeStarted:
    change_token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


# --- helpers ----------------------------------------------------------------------------------


def _digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 of a secret we hand out, keyed with SECRET_KEY and separated by purpose."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _validation_errors(exc: ValidationError, field: str | None = None) -> dict[str, list[str]]:
    if field is not None or not hasattr(exc, "error_dict"):
        return {field or "non_field_errors": list(exc.messages)}
    return exc.message_dict


def _check_password_policy(password: str, *, user: User, field: str) -> None:
    """The password policy (`AUTH_PASSWORD_VALIDATORS`: length, common, similarity, numeric, and
    the four character classes), as an `InvalidInput` naming `field`."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, field)) from exc


def _ensure_unique(*, email: str | None = None, phone: str | None = None, exclude_pk=None) -> None:
    errors = {}
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_TAKEN]
    if phone is not None and others.filter(phone=phone).exists():
        errors["phone"] = [PHONE_TAKEN]
    if errors:
        raise AlreadyRegistered(errors)


def _clean_fields(instance, *, exclude: list[str]) -> None:
    try:
        instance.clean_fields(exclude=exclude)
        instance.clean()
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc)) from exc


def _issue_link_token(
    model: type[SingleUseToken], *, user: User, lifetime: timedelta, **fields: Any
) -> str:
    """Replace the user's earlier links of this kind with a new one; returns the raw token."""
    raw = secrets.token_urlsafe(32)
    model.objects.filter(user=user).delete()
    model.objects.create(
        user=user,
        token_hash=_digest(model.__name__, raw),
        expires_at=timezone.now() + lifetime,
        **fields,
    )
    return raw


def _redeem_link_token(model: type[SingleUseToken], *, token: str) -> User:
    """Lock the link's row (inside the caller's transaction) and return its user, or raise."""
    return _redeem_link_row(model, token=token).user


def _redeem_link_row(model: type[SingleUseToken], *, token: str) -> SingleUseToken:
    """Lock the link's row (inside the caller's transaction) and return it, or raise; every link
    of this kind of its user is spent."""
    row = (
        model.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_digest(model.__name__, token or ""))
        .first()
    )
    if row is None or row.user.deactivated_at is not None:
        raise LinkTokenInvalid()
    if row.is_expired(timezone.now()):
        raise LinkTokenExpired()
    model.objects.filter(user=row.user).delete()
    return row


def _mail_after_commit(*, to: str, subject: str, body: str) -> None:
    # robust: a mail server outage is logged, never turned into a 500 after the commit.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True
    )


def _mail_link(
    *, user: User, raw: str, path: str, subject: str, what: str, hours: int, to: str | None = None
) -> None:
    """Mail the link to the user's address, or to `to` (a new address to confirm)."""
    link = f"{settings.FRONTEND_URL.rstrip('/')}/{path}?token={raw}"
    body = (
        f"Hello {user.first_name or user.email},\n\n"
        f"{what}: {link}\n\n"
        f"The link is valid for {hours} hour{'s' if hours != 1 else ''}. "
        f"If your app asks for the token, it is: {raw}\n\n"
        "If you did not ask for this, ignore this email."
    )
    _mail_after_commit(to=to or user.email, subject=subject, body=body)


def _find_by_username(username: str) -> User | None:
    """A user by email (case-insensitive) or by phone."""
    username = (username or "").strip()
    if not username:
        return None
    if "@" in username:
        return User.objects.filter(email__iexact=username).first()
    return User.objects.filter(phone=username).first()


def _issue_pair(user: User, *, family: TokenFamily | None = None) -> TokenPair:
    """A new pair in `family` (whose expiry it extends), or in a new family for a sign-in."""
    refresh = RefreshToken.for_user(user, family=family.pk if family else None)
    if family is not None:
        family.expires_at = datetime_from_epoch(refresh["exp"])
        family.save(update_fields=["expires_at"])
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _parse_refresh(raw: str) -> RefreshToken:
    """A refresh token with a valid signature and expiry, else TokenError. Whether it was used
    already is asked under its family's lock (`_blacklist`)."""
    return RefreshToken(raw)


def _family_for_update(token: RefreshToken, *, user: User) -> TokenFamily:
    """Lock the token's family row, creating it on the family's first rotation or logout.

    Refresh and logout both take this lock first: of the two, the later one sees what the earlier
    one did. Two first-time creators meet on the primary key; the second then locks the row.
    """
    family, _ = TokenFamily.objects.select_for_update().get_or_create(
        pk=token.family,
        defaults={"user": user, "expires_at": datetime_from_epoch(token["exp"])},
    )
    return family


def _blacklist(token: RefreshToken, *, user: User) -> bool:
    """Blacklist `token` in the caller's transaction; False if it was blacklisted already.

    BlacklistedToken is one-to-one with OutstandingToken: of two concurrent calls, the second
    insert waits for the first to commit, then fails on the unique index, and sees the row.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": str(token),
            "created_at": timezone.now(),
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _revoke_all_tokens(user: User, *, at: datetime) -> None:
    """Every JWT issued before `at` is rejected from now on (access and refresh)."""
    user.tokens_valid_after = at


# --- sign-up and activation ---------------------------------------------------------------------


def user_signup(
    *,
    email: str,
    phone: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    city=None,
    client_ip: str | None,
) -> User:
    """An inactive user with a free customer profile and an empty wallet; the activation email
    leaves after commit. Duplicate email or phone → `AlreadyRegistered` (400), even in a race.

    Throttled per client IP before anything else (it mails a stranger and hashes a password);
    `client_ip=None` only for staff signing members up in the admin, behind the admin login.
    """
    from purchasing.services import wallet_open

    throttle_hit(scope="email_ip", ident=client_ip)
    throttle_hit(scope="password_ip", ident=client_ip)
    email = _normalize_email(email)
    user = User(email=email, phone=phone, first_name=first_name, last_name=last_name)
    _clean_fields(user, exclude=["password"])
    _check_password_policy(password, user=user, field="password")
    _ensure_unique(email=email, phone=phone)
    try:
        with transaction.atomic():
            user.set_password(password)
            user.is_active = False
            user.save()
            customer = Customer.objects.create(user=user, city=city)
            wallet_open(customer_id=customer.pk)
            raw = _issue_link_token(ActivationToken, user=user, lifetime=ACTIVATION_LIFETIME)
            _mail_link(
                user=user,
                raw=raw,
                path="activate",
                subject="Library: confirm your email",
                what="Confirm your email to activate your library account",
                hours=24,
            )
    except IntegrityError as exc:
        # A concurrent sign-up with the same email or phone committed first.
        _ensure_unique(email=email, phone=phone)
        raise AlreadyRegistered(
            {"email": ["An account with these details already exists."]}
        ) from exc
    _audit("auth.signup", user_id=user.pk)
    return user


def user_activate(*, token: str) -> User:
    """Confirm the email with the link's token (24 hours, single use): the account becomes active."""
    with transaction.atomic():
        user = _redeem_link_token(ActivationToken, token=token)
        user.is_active = True
        user.save(update_fields=["is_active"])
    _audit("auth.activated", user_id=user.pk)
    return user


def user_activation_resend(*, email: str, client_ip: str) -> None:
    """Mail a new activation link to an account still waiting for one; silent otherwise (no
    account enumeration), and throttled per client."""
    throttle_hit(scope="email_ip", ident=client_ip)
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(email__iexact=_normalize_email(email), is_active=False, deactivated_at=None)
            .first()
        )
        _audit("auth.activation_requested", user_id=user.pk if user else None)
        if user is None:
            return
        raw = _issue_link_token(ActivationToken, user=user, lifetime=ACTIVATION_LIFETIME)
        _mail_link(
            user=user,
            raw=raw,
            path="activate",
            subject="Library: confirm your email",
            what="Confirm your email to activate your library account",
            hours=24,
        )


# --- sign-in ------------------------------------------------------------------------------------


def user_login_start(*, username: str, password: str, client_ip: str) -> OtpIssued:
    """Step one: check the password, then text a 6-digit code (after commit).

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
        phone = user.phone
        transaction.on_commit(
            lambda: send_sms(to=phone, body=OTP_SMS_TEXT.format(code=code)), robust=True
        )
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
    lockout, _ = LoginCodeLockout.objects.select_for_update().get_or_create(
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
        message=(
            f"Someone entered {lockout.wrong_codes} wrong sign-in codes for your library account "
            f"within 24 hours, after typing its password. Signing in is locked until "
            f"{lockout.locked_until:%Y-%m-%d %H:%M} UTC. If this was not you, change your "
            "password now."
        ),
        event_key=(
            f"login-code-lockout:{user_id}:{lockout.window_started_at.timestamp():.6f}:"
            f"{lockout.wrong_codes}"
        ),
    )


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


# --- tokens -------------------------------------------------------------------------------------


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted and a new pair of its family issued.

    A rotated token presented again is a reuse: someone holds a copy, so the whole family (every
    refresh and access token descended from that sign-in) is revoked and the call answers 401.
    Two concurrent refreshes with one token are serialised by the family lock: one gets a pair,
    the other is a reuse like any other and revokes the family, the winner's pair included.
    """
    try:
        old = _parse_refresh(refresh)
        user_id = int(old[jwt_settings.USER_ID_CLAIM])
    except (TokenError, KeyError, TypeError, ValueError) as exc:
        _audit("auth.refresh_failed", user_id=None, reason="invalid_token")
        raise TokenNotValid() from exc
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or issued_before(old, user.tokens_valid_after):
        _audit("auth.refresh_failed", user_id=user_id, reason="revoked_or_inactive")
        raise TokenNotValid()
    refused = None
    with transaction.atomic():
        family = _family_for_update(old, user=user)
        if family.is_revoked:
            refused = "family_revoked"
        elif not _blacklist(old, user=user):
            family.revoke(timezone.now())
            family.save(update_fields=["revoked_at"])
            refused = "reused"
        else:
            pair = _issue_pair(user, family=family)
    if refused is not None:  # raised after the commit: a reuse's revocation must persist
        _audit("auth.refresh_failed", user_id=user_id, reason=refused)
        raise TokenNotValid()
    _audit("auth.token_refreshed", user_id=user.pk)
    return pair


def user_logout(*, user: User, refresh: str, access_jti: str, access_expires_at: datetime) -> None:
    """Revoke the refresh token's family (every refresh and access token rotated from that
    sign-in) and the presented access token, at once; a concurrent refresh of the family either
    finishes first and is revoked with it, or waits and finds the family revoked."""
    invalid = InvalidInput({"refresh": ["This is not a valid refresh token of yours."]})
    try:
        token = _parse_refresh(refresh)
        owner_id = str(token[jwt_settings.USER_ID_CLAIM])
    except (TokenError, KeyError) as exc:
        raise invalid from exc
    if owner_id != str(user.pk):
        raise invalid
    with transaction.atomic():
        family = _family_for_update(token, user=user)
        _blacklist(token, user=user)
        family.revoke(timezone.now())
        family.save(update_fields=["revoked_at"])
        RevokedAccessToken.objects.get_or_create(
            jti=access_jti, defaults={"expires_at": access_expires_at}
        )
    _audit("auth.logout", user_id=user.pk)


REVOKE_TOKENS_PERMISSION = "accounts.change_user"


def user_revoke_tokens(*, user_id: int, by: User) -> None:
    """Staff allowed to change users revoke every token of a member: all JWTs issued before now
    are rejected (401)."""
    if not has_admin_permissions(by, REVOKE_TOKENS_PERMISSION):
        raise AdminOnly()
    with transaction.atomic():
        target = User.objects.select_for_update().filter(pk=user_id).first()
        if target is None:
            raise NotFound("No such user.")
        if target.is_staff:
            raise CannotRevokeAdmin()
        _revoke_all_tokens(target, at=timezone.now())
        target.save(update_fields=["tokens_valid_after"])
    _audit("auth.tokens_revoked", user_id=user_id, by_user_id=by.pk)


# --- passwords ----------------------------------------------------------------------------------


def password_change(*, user: User, old_password: str, new_password: str, client_ip: str) -> None:
    """Set a new password (the old one required); every existing token of the user is revoked.
    Throttled per client IP before the old password is hashed."""
    throttle_hit(scope="password_ip", ident=client_ip)
    if not user.check_password(old_password):
        _audit("auth.password_change_failed", user_id=user.pk, reason="wrong_old_password")
        raise InvalidInput({"old_password": ["The current password is wrong."]})
    _check_password_policy(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        _revoke_all_tokens(user, at=timezone.now())
        user.save(update_fields=["password", "tokens_valid_after"])
    _audit("auth.password_changed", user_id=user.pk)


def password_reset_request(*, email: str, client_ip: str) -> None:
    """Mail a reset link (1 hour) to an active account; silent otherwise (no enumeration)."""
    throttle_hit(scope="email_ip", ident=client_ip)
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(email__iexact=_normalize_email(email), is_active=True)
            .first()
        )
        _audit("auth.password_reset_requested", user_id=user.pk if user else None)
        if user is None:
            return
        raw = _issue_link_token(PasswordResetToken, user=user, lifetime=PASSWORD_RESET_LIFETIME)
        _mail_link(
            user=user,
            raw=raw,
            path="reset-password",
            subject="Library: reset your password",
            what="Set a new password for your library account",
            hours=1,
        )


def password_reset_confirm(*, token: str, new_password: str, client_ip: str) -> None:
    """Set a new password with a reset link's token; every existing token of the user is revoked.
    Throttled per client IP before the link is redeemed or the password hashed."""
    throttle_hit(scope="password_ip", ident=client_ip)
    with transaction.atomic():
        user = _redeem_link_token(PasswordResetToken, token=token)
        _check_password_policy(new_password, user=user, field="new_password")
        user.set_password(new_password)
        _revoke_all_tokens(user, at=timezone.now())
        user.save(update_fields=["password", "tokens_valid_after"])
    _audit("auth.password_reset", user_id=user.pk)


# --- profile ------------------------------------------------------------------------------------


def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change a user's names and phone: the admin's user form, behind staff permissions. Members
    change their own through `user_profile_update`, which leaves the phone to a proven change."""
    changed = [name for name in USER_EDITABLE_FIELDS if name in data]
    for name in changed:
        setattr(user, name, data[name])
    _clean_fields(user, exclude=["password"])
    if "phone" in changed:
        _ensure_unique(phone=user.phone, exclude_pk=user.pk)
    try:
        with transaction.atomic():
            user.save(update_fields=changed or None)
    except IntegrityError as exc:
        raise AlreadyRegistered({"phone": [PHONE_TAKEN]}) from exc
    return user


def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """A member changes his own names. A new phone or email is refused and points to the change
    flows that prove it (the value he already has, sent back, is no change and passes)."""
    if "phone" in data and data["phone"] != user.phone:
        raise UsePhoneChange()
    if "email" in data and _normalize_email(data["email"]) != _normalize_email(user.email):
        raise UseEmailChange()
    return user_update(
        user=user, data={name: data[name] for name in PROFILE_FIELDS if name in data}
    )


def user_deactivate(*, user: User) -> None:
    """Delete yourself: the account is deactivated and its tokens revoked; refused (409) while
    you hold an active reservation."""
    from purchasing.models import Wallet
    from reservations.selectors import customer_active_reservation_count

    with transaction.atomic():
        customer = Customer.objects.filter(user=user).first()
        if customer is not None:
            # Reserving locks the wallet last: holding it here, no reservation starts meanwhile.
            list(Wallet.objects.select_for_update().filter(customer_id=customer.pk))
            count = customer_active_reservation_count(customer_id=customer.pk)
            if count:
                raise ActiveReservations(active_reservations=count)
        now = timezone.now()
        user.is_active = False
        user.deactivated_at = now
        _revoke_all_tokens(user, at=now)
        user.save(update_fields=["is_active", "deactivated_at", "tokens_valid_after"])
    if customer is not None:
        _leave_every_queue(customer=customer)


def _leave_every_queue(*, customer: Customer) -> None:
    """A closed account waits for nothing. Each queue is left in its own transaction, after the
    deactivation committed, because a queue change must lock its book first (book → wallet order);
    meanwhile the release walk drops inactive accounts it reaches."""
    from reservations import services as reservation_services
    from reservations.errors import QueueEntryNotWaiting
    from reservations.models import QueueEntry, QueueStatus

    waiting = QueueEntry.objects.filter(customer=customer, status=QueueStatus.WAITING)
    for entry_id in waiting.values_list("id", flat=True):
        # served or dropped by a release walk in the meantime: nothing left to leave
        with contextlib.suppress(QueueEntryNotWaiting):
            reservation_services.queue_leave(customer=customer, entry_id=entry_id)


def customer_update(*, customer: Customer, data: dict[str, Any]) -> Customer:
    """Change the customer's own profile: city, address, date of birth."""
    changed = [name for name in CUSTOMER_EDITABLE_FIELDS if name in data]
    for name in changed:
        setattr(customer, name, data[name])
    _clean_fields(customer, exclude=["user"])
    with transaction.atomic():
        customer.save(update_fields=changed or None)
    return customer


# --- changing the phone or the email -----------------------------------------------------------


def _check_password_for_contact_change(*, user: User, password: str, client_ip: str) -> None:
    """Throttled per client IP before any hashing, and per account (every start sends a message)."""
    throttle_hit(scope="password_ip", ident=client_ip)
    throttle_hit(scope="contact_change_account", ident=f"user:{user.pk}")
    if not user.check_password(password):
        _audit("auth.contact_change_failed", user_id=user.pk, reason="wrong_password")
        raise InvalidInput({"password": ["The password is wrong."]})


def _validate_new_phone(*, user: User, phone: str) -> None:
    try:
        E164_VALIDATOR(phone)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, "phone")) from exc
    if phone == user.phone:
        raise InvalidInput({"phone": ["This is already your phone number."]})
    _ensure_unique(phone=phone, exclude_pk=user.pk)


def _validate_new_email(*, user: User, email: str) -> None:
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, "email")) from exc
    if email == _normalize_email(user.email):
        raise InvalidInput({"email": ["This is already your email address."]})
    _ensure_unique(email=email, exclude_pk=user.pk)


def user_phone_change_start(
    *, user: User, password: str, phone: str, client_ip: str
) -> PhoneChangeStarted:
    """Step one of a phone change: the password, then a 6-digit code texted to the NEW number
    (after commit), which proves the member holds it. One pending change per user."""
    _check_password_for_contact_change(user=user, password=password, client_ip=client_ip)
    _validate_new_phone(user=user, phone=phone)
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
        transaction.on_commit(
            lambda: send_sms(to=phone, body=PHONE_CHANGE_SMS_TEXT.format(code=code)), robust=True
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
        raise AlreadyRegistered({"phone": [PHONE_TAKEN]}) from exc
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
    notice = PHONE_CHANGED_TEXT.format(tail=user.phone[-4:])
    transaction.on_commit(lambda: send_sms(to=old_phone, body=notice), robust=True)
    _mail_after_commit(to=user.email, subject="Library: your phone number was changed", body=notice)
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
            subject="Library: confirm your new email address",
            what="Confirm this address as the new email of your library account",
            hours=1,
            to=email,
        )
        _mail_after_commit(
            to=user.email,
            subject="Library: a change of your email address was asked for",
            body=EMAIL_CHANGE_REQUESTED_TEXT.format(new=email),
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
            _mail_after_commit(
                to=old_email,
                subject="Library: your email address was changed",
                body=EMAIL_CHANGED_TEXT.format(new=user.email),
            )
    except IntegrityError as exc:  # another account took the address since our uniqueness check
        raise AlreadyRegistered({"email": [EMAIL_TAKEN]}) from exc
    _audit("auth.email_changed", user_id=user.pk)
    return user


# --- notifications and housekeeping -------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (another user's answers 404)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id, user=user).first()
        )
        if notification is None:
            raise NotFound("No such notification.")
        notification.mark_read(timezone.now())
        notification.save(update_fields=["read_at"])
    return notification


def credentials_purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete expired activation/reset links, OTP challenges, logged-out access tokens, token
    families and simplejwt's expired outstanding tokens (their blacklist rows go with them)."""
    now = now or timezone.now()
    deleted = {}
    with transaction.atomic():
        for model in (
            ActivationToken,
            PasswordResetToken,
            EmailChangeToken,
            OtpChallenge,
            PhoneChangeChallenge,
            RevokedAccessToken,
            TokenFamily,
        ):
            deleted[model.__name__], _ = model.objects.filter(expires_at__lte=now).delete()
        deleted["BlacklistedToken"], _ = BlacklistedToken.objects.filter(
            token__expires_at__lte=now
        ).delete()
        deleted["OutstandingToken"], _ = OutstandingToken.objects.filter(
            expires_at__lte=now
        ).delete()
    return deleted
