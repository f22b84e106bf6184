"""The accounts app's hand-written SQL, each function named after what it returns.

Every authenticated request loads its user, the user's customer profile and whether its access
token was revoked; composed through the ORM (`select_related` and an `Exists` annotation) that
costs several times its database time in Python (measured by `make bench`), so it is written here.
"""

import functools
from dataclasses import dataclass

from django.db import connection

from accounts.models import Customer, RevokedAccessToken, TokenFamily, User
from core.rows import model_from_row


@dataclass(frozen=True, slots=True)
class TokenUser:
    """The user an access token names, with `user.customer` already loaded (None when it has no
    profile), and whether the token was logged out or its family revoked."""

    user: User
    access_revoked: bool


@functools.cache
def _token_user_sql(vendor: str) -> str:
    """The statement behind `token_user`. Not a prepared statement: preparing it would make the
    first request on each connection cost two statements."""
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


def token_user(*, user_id: int, jti: str, family: str | None = None) -> TokenUser | None:
    """The user `user_id` with its customer profile, and whether the access token `jti` was
    logged out or its `family` revoked: one query. None when there is no such user."""
    with connection.cursor() as cursor:
        cursor.execute(_token_user_sql(connection.vendor), [jti, family, user_id])
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
    return TokenUser(user, bool(row[-1]))
