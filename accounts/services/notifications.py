"""Marking notifications read, and purging expired credentials."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import (
    ActivationToken,
    EmailChangeToken,
    Notification,
    OtpChallenge,
    PasswordResetToken,
    PhoneChangeChallenge,
    RevokedAccessToken,
    TokenFamily,
    User,
)
from core.errors import NotFound


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (another user's answers 404)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id, user=user).first()
        )
        if notification is None:
            raise NotFound(_("No such notification."))
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
            deleted[model.__name__], _per_model = model.objects.filter(expires_at__lte=now).delete()
        deleted["BlacklistedToken"], _per_model = BlacklistedToken.objects.filter(
            token__expires_at__lte=now
        ).delete()
        deleted["OutstandingToken"], _per_model = OutstandingToken.objects.filter(
            expires_at__lte=now
        ).delete()
    return deleted
