"""JWT authentication with immediate logout and revocation, at no extra query per request."""

from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from accounts.sql import token_user
from accounts.tokens import FAMILY_CLAIM, issued_before


def _family_of(validated_token) -> str | None:
    """The access token's family id; None for a token issued before families existed."""
    family = validated_token.get(FAMILY_CLAIM)
    return None if family is None else str(family)


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's access-token check, plus: the token was not logged out (its `jti` is not in
    `RevokedAccessToken`), its token family was not revoked, and it was not issued before the
    user's `tokens_valid_after`.

    Both facts come from the one query that loads the user, which loads its customer profile too
    (the reservation and wallet endpoints read `request.user.customer` at no further query).
    """

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed as exc:
            if not isinstance(exc.detail, dict):
                raise
            # simplejwt nests {"detail", "code", "messages"}; answer our flat {"code", "detail"}.
            raise AuthenticationFailed(
                str(exc.detail.get("detail", _("Invalid token."))),
                code=str(exc.detail.get("code", "token_not_valid")),
            ) from exc

    def get_user(self, validated_token) -> User:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        jti = validated_token.get(api_settings.JTI_CLAIM)
        if user_id is None or jti is None or "iat" not in validated_token:
            raise AuthenticationFailed(
                _("The token lacks a user, an id or an issue time."), code="token_not_valid"
            )
        try:
            found = token_user(
                user_id=int(user_id), jti=str(jti), family=_family_of(validated_token)
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise AuthenticationFailed(_("User not found."), code="user_not_found") from exc
        if found is None:
            raise AuthenticationFailed(_("User not found."), code="user_not_found")
        user = found.user
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive."), code="user_inactive")
        if found.access_revoked or issued_before(validated_token, user.tokens_valid_after):
            raise AuthenticationFailed(_("The token has been revoked."), code="token_revoked")
        return user


class RevocableJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme (bearer JWT) for the class above."""

    target_class = RevocableJWTAuthentication
