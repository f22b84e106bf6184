"""JWT authentication with immediate logout and revocation, at no extra query per request."""

import functools

from django.db import connection
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings

from accounts.models import Customer, RevokedAccessToken, TokenFamily, User
from accounts.tokens import FAMILY_CLAIM, issued_before
from core.rows import model_from_row


@functools.cache
def _user_statement(vendor: str) -> str:
    """The SQL loading a user, its customer profile (if any) and whether the access token was
    revoked: its `jti` logged out, or its token family revoked.

    Written in SQL because every authenticated request runs it, and composed through the ORM
    (`select_related` and an `Exists` annotation) it costs several times its database time in
    Python (measured by `make bench`). Not a prepared statement: preparing it would make the first
    request on each connection cost two statements.
    """
    quote = connection.ops.quote_name
    columns = [
        f"{alias}.{quote(field.column)}"
        for alias, model in (("u", User), ("c", Customer))
        for field in model._meta.concrete_fields
    ]
    return (
        f"SELECT {', '.join(columns)},"
        f" (EXISTS(SELECT 1 FROM {quote(RevokedAccessToken._meta.db_table)}"
        f" WHERE {quote(RevokedAccessToken._meta.get_field('jti').column)} = %s)"
        f" OR EXISTS(SELECT 1 FROM {quote(TokenFamily._meta.db_table)}"
        f" WHERE {quote(TokenFamily._meta.pk.column)} = %s"
        f" AND {quote(TokenFamily._meta.get_field('revoked_at').column)} IS NOT NULL))"
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT JOIN {quote(Customer._meta.db_table)} c"
        f" ON c.{quote(Customer._meta.get_field('user').column)} = u.{quote(User._meta.pk.column)}"
        f" WHERE u.{quote(User._meta.pk.column)} = %s"
    )


def user_with_customer(
    *, user_id: int, jti: str, family: str | None = None
) -> tuple[User, bool] | None:
    """The user with its `customer` already loaded (None when it has no profile), and whether the
    access token `jti` was logged out or its `family` revoked: one query. None when there is no
    such user."""
    with connection.cursor() as cursor:
        cursor.execute(_user_statement(connection.vendor), [jti, family, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(User._meta.concrete_fields)
    user = model_from_row(User, row[:split], alias="u")
    customer = None
    if row[split] is not None:  # the customer's primary key: NULL when the user has no profile
        customer = model_from_row(Customer, row[split:-1], alias="c")
        Customer.user.field.set_cached_value(customer, user)
    User.customer.related.set_cached_value(user, customer)
    return user, bool(row[-1])


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
                str(exc.detail.get("detail", "Invalid token.")),
                code=str(exc.detail.get("code", "token_not_valid")),
            ) from exc

    def get_user(self, validated_token) -> User:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        jti = validated_token.get(api_settings.JTI_CLAIM)
        if user_id is None or jti is None or "iat" not in validated_token:
            raise AuthenticationFailed(
                "The token lacks a user, an id or an issue time.", code="token_not_valid"
            )
        try:
            found = user_with_customer(
                user_id=int(user_id), jti=str(jti), family=_family_of(validated_token)
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise AuthenticationFailed("User not found.", code="user_not_found") from exc
        if found is None:
            raise AuthenticationFailed("User not found.", code="user_not_found")
        user, access_revoked = found
        if not user.is_active:
            raise AuthenticationFailed("User is inactive.", code="user_inactive")
        if access_revoked or issued_before(validated_token, user.tokens_valid_after):
            raise AuthenticationFailed("The token has been revoked.", code="token_revoked")
        return user


class RevocableJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme (bearer JWT) for the class above."""

    target_class = RevocableJWTAuthentication
