"""Sign-up and activation: a new member's account, its customer and wallet, and the email link
that activates it.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks
from accounts.errors import (
    AlreadyRegistered,
)
from accounts.models import (
    ActivationToken,
    Customer,
    User,
)
from accounts.services._common import (
    _audit,
    _check_password_policy,
    _clean_fields,
    _ensure_unique,
    _issue_link_token,
    _mail_link,
    _normalize_email,
    _phone_or_invalid,
    _redeem_link_token,
    _request_language,
)
from accounts.throttling import throttle_hit

ACTIVATION_LIFETIME = timedelta(hours=24)


def user_signup(
    *,
    email: str,
    phone: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    city=None,
    language: str | None = None,
    client_ip: str | None,
) -> User:
    """An inactive user with a free customer profile and an empty wallet; the activation email
    leaves after commit. The phone is taken as typed (`09121234567`, Persian digits...) and
    stored in E.164. Duplicate email or phone → `AlreadyRegistered` (400), even in a race.

    `language` (`en` or `fa`) is the one of the member's SMS and emails, the request's language
    when not given. Throttled per client IP before anything else (it mails a stranger and hashes a password);
    `client_ip=None` only for staff signing members up in the admin, behind the admin login.
    """
    throttle_hit(scope="email_ip", ident=client_ip)
    throttle_hit(scope="password_ip", ident=client_ip)
    email = _normalize_email(email)
    phone = _phone_or_invalid(phone)
    user = User(
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        language=language or _request_language(),
    )
    _clean_fields(user, exclude=["password"])
    _check_password_policy(password, user=user, field="password")
    _ensure_unique(email=email, phone=phone)
    try:
        with transaction.atomic():
            user.set_password(password)
            user.is_active = False
            user.save()
            customer = Customer.objects.create(user=user, city=city)
            hooks.open_wallet(customer_id=customer.pk)
            _mail_activation_link(user)
    except IntegrityError as exc:
        # A concurrent sign-up with the same email or phone committed first.
        _ensure_unique(email=email, phone=phone)
        raise AlreadyRegistered(
            {"email": [_("An account with these details already exists.")]}
        ) from exc
    _audit("auth.signup", user_id=user.pk)
    return user


def _mail_activation_link(user: User) -> None:
    """A new single-use activation link, mailed after the caller's transaction commits."""
    raw = _issue_link_token(ActivationToken, user=user, lifetime=ACTIVATION_LIFETIME)
    _mail_link(
        user=user,
        raw=raw,
        path="activate",
        subject=gettext_lazy("Library: confirm your email"),
        what=gettext_lazy("Confirm your email to activate your library account"),
        hours=int(ACTIVATION_LIFETIME.total_seconds() // 3600),
    )


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
        _mail_activation_link(user)
