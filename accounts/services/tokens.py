"""Refresh-token rotation with reuse detection, logout and staff revoking a member's tokens."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.errors import (
    AdminOnly,
    CannotRevokeAdmin,
    InvalidInput,
    TokenNotValid,
)
from accounts.models import (
    RevokedAccessToken,
    TokenFamily,
    User,
)
from accounts.services._common import (
    TokenPair,
    _audit,
    _issue_pair,
    _revoke_all_tokens,
)
from accounts.tokens import RefreshToken, issued_before
from core.errors import NotFound
from core.permissions import has_admin_permissions


def _parse_refresh(raw: str) -> RefreshToken:
    """A refresh token with a valid signature and expiry, else TokenError. Whether it was used
    already is asked under its family's lock (`_blacklist`)."""
    return RefreshToken(raw)


def _family_for_update(token: RefreshToken, *, user: User) -> TokenFamily:
    """Lock the token's family row, creating it on the family's first rotation or logout.

    Refresh and logout both take this lock first: of the two, the later one sees what the earlier
    one did. Two first-time creators meet on the primary key; the second then locks the row.
    """
    family, _created = TokenFamily.objects.select_for_update().get_or_create(
        pk=token.family,
        defaults={"user": user, "expires_at": datetime_from_epoch(token["exp"])},
    )
    return family


def _blacklist(token: RefreshToken, *, user: User) -> bool:
    """Blacklist `token` in the caller's transaction; False if it was blacklisted already.

    BlacklistedToken is one-to-one with OutstandingToken: of two concurrent calls, the second
    insert waits for the first to commit, then fails on the unique index, and sees the row.
    """
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=token[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": str(token),
            "created_at": timezone.now(),
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    _row, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


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
    invalid = InvalidInput({"refresh": [_("This is not a valid refresh token of yours.")]})
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
            raise NotFound(_("No such user."))
        if target.is_staff:
            raise CannotRevokeAdmin()
        _revoke_all_tokens(target, at=timezone.now())
        target.save(update_fields=["tokens_valid_after"])
    _audit("auth.tokens_revoked", user_id=user_id, by_user_id=by.pk)
