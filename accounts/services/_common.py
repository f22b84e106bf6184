"""What the auth service's use cases share: the audit log line, hashing of handed-out secrets,
input checks, single-use links, mail after commit and issuing or revoking JWTs.
"""

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
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.errors import (
    AlreadyRegistered,
    InvalidInput,
    LinkTokenExpired,
    LinkTokenInvalid,
)
from accounts.models import (
    Language,
    SingleUseToken,
    TokenFamily,
    User,
)
from accounts.phones import normalize_phone
from accounts.tokens import RefreshToken
from core.l10n import local_number

# One logger for every auth event, whichever module of the service writes it.
logger = logging.getLogger("accounts.services")


def _audit(event: str, **fields) -> None:
    """One structured log line per auth event: who and what, never a password, code or token."""
    logger.info(event, extra={"event": event, **fields})


# English msgids, translated where they are used.
PHONE_TAKEN = gettext_noop("An account with this phone number already exists.")
EMAIL_TAKEN = gettext_noop("An account with this email already exists.")


def _request_language() -> str:
    """The active language (LocaleMiddleware set it from Accept-Language) as a member's language:
    `fa` or `en`."""
    active = (translation.get_language() or "").lower()
    return Language.FA if active.startswith("fa") else Language.EN


def _in_language_of(user: User):
    """A context in which gettext and `core.l10n` write in `user`'s own language, whatever the
    request's: every email and SMS to a known member is built inside one."""
    return translation.override(user.language or _request_language())


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 of a secret we hand out, keyed with SECRET_KEY and separated by purpose."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _phone_or_invalid(phone: str, *, field: str = "phone") -> str:
    """The E.164 form of a number as the member typed it, or `InvalidInput` naming `field`."""
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise InvalidInput(_validation_errors(exc, field)) from exc


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
        errors["email"] = [_(EMAIL_TAKEN)]
    if phone is not None and others.filter(phone=phone).exists():
        errors["phone"] = [_(PHONE_TAKEN)]
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
    """Mail after commit; `subject` and `body` are rendered now, in the active language."""
    subject, body = str(subject), str(body)
    # robust: a mail server outage is logged, never turned into a 500 after the commit.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True
    )


def _mail_link(
    *, user: User, raw: str, path: str, subject: str, what: str, hours: int, to: str | None = None
) -> None:
    """Mail the link to the user's address, or to `to` (a new address to confirm), in the user's
    language (`subject` and `what` are lazy texts, rendered in it)."""
    link = f"{settings.FRONTEND_URL.rstrip('/')}/{path}?token={raw}"
    with _in_language_of(user):
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.first_name or user.email},
                _("%(what)s: %(link)s") % {"what": what, "link": link},
                ngettext(
                    "The link is valid for %(hours)s hour.",
                    "The link is valid for %(hours)s hours.",
                    hours,
                )
                % {"hours": local_number(hours)}
                + " "
                + _("If your app asks for the token, it is: %(token)s") % {"token": raw},
                _("If you did not ask for this, ignore this email."),
            ]
        )
        _mail_after_commit(to=to or user.email, subject=subject, body=body)


def _issue_pair(user: User, *, family: TokenFamily | None = None) -> TokenPair:
    """A new pair in `family` (whose expiry it extends), or in a new family for a sign-in."""
    refresh = RefreshToken.for_user(user, family=family.pk if family else None)
    if family is not None:
        family.expires_at = datetime_from_epoch(refresh["exp"])
        family.save(update_fields=["expires_at"])
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _revoke_all_tokens(user: User, *, at: datetime) -> None:
    """Every JWT issued before `at` is rejected from now on (access and refresh)."""
    user.tokens_valid_after = at
