"""Changing a password, and resetting a forgotten one through an emailed link."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import (
    InvalidInput,
)
from accounts.models import (
    PasswordResetToken,
    User,
)
from accounts.services._common import (
    _audit,
    _check_password_policy,
    _issue_link_token,
    _mail_link,
    _normalize_email,
    _redeem_link_token,
    _revoke_all_tokens,
)
from accounts.throttling import throttle_hit

PASSWORD_RESET_LIFETIME = timedelta(hours=1)


def password_change(*, user: User, old_password: str, new_password: str, client_ip: str) -> None:
    """Set a new password (the old one required); every existing token of the user is revoked.
    Throttled per client IP before the old password is hashed."""
    throttle_hit(scope="password_ip", ident=client_ip)
    if not user.check_password(old_password):
        _audit("auth.password_change_failed", user_id=user.pk, reason="wrong_old_password")
        raise InvalidInput({"old_password": [_("The current password is wrong.")]})
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
            subject=gettext_lazy("Library: reset your password"),
            what=gettext_lazy("Set a new password for your library account"),
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
