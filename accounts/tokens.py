"""JWTs whose `iat` keeps sub-second precision, and refresh tokens that belong to a family.

Revocation rejects every token issued before `User.tokens_valid_after`. simplejwt writes `iat` in
whole seconds, so a login in the same second as a revocation would be refused, or a token issued
just before it accepted. RFC 7519 allows a fractional NumericDate, and PyJWT accepts it.

A sign-in starts a token family (the `fam` claim); every refresh token rotated from it, and every
access token issued with them, carries the same family id, so one revocation reaches them all.
"""

import uuid
from datetime import datetime

from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

FAMILY_CLAIM = "fam"


class _PreciseIssuedAt:
    def set_iat(self, claim: str = "iat", at_time: datetime | None = None) -> None:
        self.payload[claim] = (at_time or self.current_time).timestamp()


class AccessToken(_PreciseIssuedAt, tokens.AccessToken):
    pass


class RefreshToken(_PreciseIssuedAt, tokens.RefreshToken):
    access_token_class = AccessToken

    @classmethod
    def for_user(cls, user, *, family: str | None = None) -> "RefreshToken":
        """A refresh token in `family`, or in a new family (a sign-in), recorded as outstanding.

        simplejwt's blacklist layer is skipped because it would record the token before it
        carries its family; the row is written here instead, as it writes it.
        """
        token = super(tokens.BlacklistMixin, cls).for_user(user)
        token[FAMILY_CLAIM] = family or uuid.uuid4().hex
        OutstandingToken.objects.create(
            user=user,
            jti=token[api_settings.JTI_CLAIM],
            token=str(token),
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        return token

    def check_blacklist(self) -> None:
        """Not while decoding: the auth service asks under its family's lock, because a rotated
        token presented again is a reuse that revokes the whole family, not a plain refusal."""

    @property
    def family(self) -> str:
        """The family id; a token issued before families existed is a family of its own."""
        return str(self.get(FAMILY_CLAIM) or self[api_settings.JTI_CLAIM])


def issued_before(token, moment: datetime | None) -> bool:
    """True when `token` was issued before `moment` (the user's revocation moment, if any)."""
    return moment is not None and float(token.get("iat", 0)) < moment.timestamp()
