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
    OtpExpired,
    OtpTokenInvalid,
    TokenNotValid,
)
from accounts.models import (
    ActivationToken,
    Customer,
    Notification,
    OtpChallenge,
    PasswordResetToken,
    RevokedAccessToken,
    SingleUseToken,
    User,
)
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

USER_EDITABLE_FIELDS = ("first_name", "last_name", "phone")
CUSTOMER_EDITABLE_FIELDS = ("city", "address", "date_of_birth")


@dataclass(frozen=True)
class OtpIssued:
    otp_token: str
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
    """SPEC section 5's policy, through Django's validators (AUTH_PASSWORD_VALIDATORS)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, field)) from exc


def _ensure_unique(*, email: str | None = None, phone: str | None = None, exclude_pk=None) -> None:
    errors = {}
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = ["An account with this email already exists."]
    if phone is not None and others.filter(phone=phone).exists():
        errors["phone"] = ["An account with this phone number already exists."]
    if errors:
        raise AlreadyRegistered(errors)


def _clean_fields(instance, *, exclude: list[str]) -> None:
    try:
        instance.clean_fields(exclude=exclude)
        instance.clean()
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc)) from exc


def _issue_link_token(model: type[SingleUseToken], *, user: User, lifetime: timedelta) -> str:
    """Replace the user's earlier links of this kind with a new one; returns the raw token."""
    raw = secrets.token_urlsafe(32)
    model.objects.filter(user=user).delete()
    model.objects.create(
        user=user,
        token_hash=_digest(model.__name__, raw),
        expires_at=timezone.now() + lifetime,
    )
    return raw


def _redeem_link_token(model: type[SingleUseToken], *, token: str) -> User:
    """Lock the link's row (inside the caller's transaction) and return its user, or raise."""
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
    return row.user


def _mail_after_commit(*, to: str, subject: str, body: str) -> None:
    # robust: a mail server outage is logged, never turned into a 500 after the commit.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True
    )


def _mail_link(*, user: User, raw: str, path: str, subject: str, what: str, hours: int) -> None:
    link = f"{settings.FRONTEND_URL.rstrip('/')}/{path}?token={raw}"
    body = (
        f"Hello {user.first_name or user.email},\n\n"
        f"{what}: {link}\n\n"
        f"The link is valid for {hours} hour{'s' if hours != 1 else ''}. "
        f"If your app asks for the token, it is: {raw}\n\n"
        "If you did not ask for this, ignore this email."
    )
    _mail_after_commit(to=user.email, subject=subject, body=body)


def _find_by_username(username: str) -> User | None:
    """A user by email (case-insensitive) or by phone."""
    username = (username or "").strip()
    if not username:
        return None
    if "@" in username:
        return User.objects.filter(email__iexact=username).first()
    return User.objects.filter(phone=username).first()


def _issue_pair(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)  # also records the OutstandingToken row
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _parse_refresh(raw: str) -> RefreshToken:
    """A refresh token with a valid signature and expiry, not blacklisted; else TokenError."""
    return RefreshToken(raw)


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
) -> User:
    """An inactive user with a free customer profile and an empty wallet; the activation email
    leaves after commit. Duplicate email or phone → `AlreadyRegistered` (400), even in a race."""
    from purchasing.services import wallet_open

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

    Unknown user and wrong password answer the same; `account_inactive` only after a correct
    password. Throttled per client IP and per account name.
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


def user_login_verify(*, otp_token: str, code: str, client_ip: str) -> TokenPair:
    """Step two: exchange the challenge and its code for a JWT pair.

    Single use; 2 minutes; the 5th wrong code burns the challenge. Throttled per client IP and per
    account. A wrong code is recorded (committed) before the error is raised.
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
        expected = _digest("otp-code", f"{otp_token}:{code}")
        if not hmac.compare_digest(challenge.code_hash, expected):
            challenge.record_failure()
            challenge.save(update_fields=["failed_attempts"])
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
            pair = _issue_pair(user)
    if failure is not None:
        _audit(
            "auth.verify_failed",
            user_id=challenge.user_id,
            reason="wrong_code",
            attempts_left=failure.extra["attempts_left"],
        )
        raise failure
    _audit("auth.login_verified", user_id=user.pk)
    return pair


# --- tokens -------------------------------------------------------------------------------------


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted and a new pair issued, atomically.

    Of two concurrent refreshes with one token exactly one gets a pair; the other gets 401.
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
    with transaction.atomic():
        if not _blacklist(old, user=user):
            _audit("auth.refresh_failed", user_id=user_id, reason="already_used")
            raise TokenNotValid()
        pair = _issue_pair(user)
    _audit("auth.token_refreshed", user_id=user.pk)
    return pair


def user_logout(*, user: User, refresh: str, access_jti: str, access_expires_at: datetime) -> None:
    """Blacklist the refresh token and make the presented access token unusable, at once."""
    invalid = InvalidInput({"refresh": ["This is not a valid refresh token of yours."]})
    try:
        token = _parse_refresh(refresh)
        owner_id = str(token[jwt_settings.USER_ID_CLAIM])
    except (TokenError, KeyError) as exc:
        raise invalid from exc
    if owner_id != str(user.pk):
        raise invalid
    with transaction.atomic():
        _blacklist(token, user=user)
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


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Set a new password (the old one required); every existing token of the user is revoked."""
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


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Set a new password with a reset link's token; every existing token of the user is revoked."""
    with transaction.atomic():
        user = _redeem_link_token(PasswordResetToken, token=token)
        _check_password_policy(new_password, user=user, field="new_password")
        user.set_password(new_password)
        _revoke_all_tokens(user, at=timezone.now())
        user.save(update_fields=["password", "tokens_valid_after"])
    _audit("auth.password_reset", user_id=user.pk)


# --- profile ------------------------------------------------------------------------------------


def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change the user's own names and phone (email is the login and stays fixed)."""
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
        raise AlreadyRegistered(
            {"phone": ["An account with this phone number already exists."]}
        ) from exc
    return user


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
    """Delete expired activation/reset links, OTP challenges, logged-out access tokens and
    simplejwt's expired outstanding tokens (their blacklist rows go with them)."""
    now = now or timezone.now()
    deleted = {}
    with transaction.atomic():
        for model in (ActivationToken, PasswordResetToken, OtpChallenge, RevokedAccessToken):
            deleted[model.__name__], _ = model.objects.filter(expires_at__lte=now).delete()
        deleted["BlacklistedToken"], _ = BlacklistedToken.objects.filter(
            token__expires_at__lte=now
        ).delete()
        deleted["OutstandingToken"], _ = OutstandingToken.objects.filter(
            expires_at__lte=now
        ).delete()
    return deleted
