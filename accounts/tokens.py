"""JWTs whose `iat` keeps sub-second precision.

Revocation rejects every token issued before `User.tokens_valid_after`. simplejwt writes `iat` in
whole seconds, so a login in the same second as a revocation would be refused, or a token issued
just before it accepted. RFC 7519 allows a fractional NumericDate, and PyJWT accepts it.
"""

from datetime import datetime

from rest_framework_simplejwt import tokens


class _PreciseIssuedAt:
    def set_iat(self, claim: str = "iat", at_time: datetime | None = None) -> None:
        self.payload[claim] = (at_time or self.current_time).timestamp()


class AccessToken(_PreciseIssuedAt, tokens.AccessToken):
    pass


class RefreshToken(_PreciseIssuedAt, tokens.RefreshToken):
    access_token_class = AccessToken


def issued_before(token, moment: datetime | None) -> bool:
    """True when `token` was issued before `moment` (the user's revocation moment, if any)."""
    return moment is not None and float(token.get("iat", 0)) < moment.timestamp()
