"""Every `/api/` endpoint and method × anonymous / owner / other member / author / admin /
staff without permissions.

The "owner" is the member who owns the objects in the path (his reservation, queue entry,
notification, user and customer records); "author" is the user linked to the book's author;
"admin" is a superuser; "staff_noperm" is a staff member holding no Django permission, refused
(403) wherever Django's admin would refuse it and otherwise treated like any member.
Each cell is the status the API promises (README "Using the API"): 401 without a token, 403 for
admin-only operations, 404 for another member's object. A new endpoint or method without a row
here fails `test_every_api_endpoint_has_a_row_in_the_matrix`.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.services._common import _issue_pair
from catalog.services import book_withdraw
from library_project.tests.security_world import (
    PASSWORD,
    World,
    client_for,
    make_world,
)
from readers.models import Review
from readers.services.reactions import book_reaction_set, review_reaction_set

ROLES = ("anonymous", "owner", "other", "author", "admin", "staff_noperm")


def _everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def _members(status: int, *, admin: int | None = None) -> dict[str, int]:
    """401 for anonymous; `status` for every signed-in user. `admin` is the answer for both staff
    roles, whose accounts are alike (no membership, an empty wallet, nothing held)."""
    staff = status if admin is None else admin
    return {
        "anonymous": 401,
        "owner": status,
        "other": status,
        "author": status,
        "admin": staff,
        "staff_noperm": staff,
    }


def _admin_only(status: int) -> dict[str, int]:
    """`status` for an admin holding the permission; every other signed-in user 403."""
    return {
        "anonymous": 401,
        "owner": 403,
        "other": 403,
        "author": 403,
        "admin": status,
        "staff_noperm": 403,
    }


def _staff_only(status: int) -> dict[str, int]:
    """`status` for any staff member, whatever its permissions (like the admin site's index)."""
    return {**_admin_only(status), "staff_noperm": status}


def _owner_only(status: int) -> dict[str, int]:
    return {
        "anonymous": 401,
        "owner": status,
        "other": 404,
        "author": 404,
        "admin": 404,
        "staff_noperm": 404,
    }


def _owner_or_admin(status: int) -> dict[str, int]:
    """`status` for the owner and an admin holding the permission; anyone else 404."""
    return {**_owner_only(status), "admin": status}


def _author_only(status: int, *, admin: int = 403) -> dict[str, int]:
    """`status` for the author; `admin` for an admin; members and staff without permission 403."""
    return {**_admin_only(admin), "author": status}


def _book_liked_by_owner(w) -> str:
    book_reaction_set(customer_id=w.member.customer.pk, book_id=w.book.pk, reaction="like")
    return f"/api/books/{w.book.pk}/reaction/"


def _withdrawn_book(w, action: str) -> str:
    book_withdraw(book=w.book, by=None, reason="")
    return f"/api/books/{w.book.pk}/{action}/"


def _review_liked_by_owner(w) -> str:
    review = Review.objects.create(book=w.book, customer=w.other.customer, body="Worth it.")
    review_reaction_set(customer_id=w.member.customer.pk, review_id=review.pk, reaction="like")
    return f"/api/reviews/{review.pk}/reaction/"


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the URL pattern as Django spells it
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World, object], dict] = field(default=lambda w, user: {})

    @property
    def key(self) -> tuple[str, str]:
        return (self.route, self.method)


def _until(w, user) -> dict:
    return {"until": (timezone.now() + timedelta(days=2)).isoformat()}


def _refresh_of(w, user) -> dict:
    return {"refresh": _issue_pair(user).refresh if user else "not-a-token"}


def _book_input(w, user) -> dict:
    return {
        "title": "Another title",
        "isbn": "9780306406157",
        "genre": w.genre.pk,
        "published_year": 2021,
        "total_units": 2,
        "authors": [w.author_profile.pk],
    }


MATRIX = [
    # --- health, schema, docs: docs need an admin session when DEBUG is off ----------------
    Row("GET", "api/health/", lambda w: "/api/health/", _everyone(200)),
    Row("GET", "api/schema/", lambda w: "/api/schema/", _staff_only(200)),
    Row("GET", "api/docs/", lambda w: "/api/docs/", _staff_only(200)),
    Row("GET", "api/redoc/", lambda w: "/api/redoc/", _staff_only(200)),
    # --- sign-up and sign-in steps: anyone; a token in the header changes nothing ------------
    Row(
        "POST",
        "api/auth/signup/",
        lambda w: "/api/auth/signup/",
        _everyone(201),
        lambda w, user: {
            "email": "new.reader@example.com",
            "phone": "+989990001122",
            "password": "Fresh!Passw0rd-42",
            "first_name": "New",
            "last_name": "Reader",
        },
    ),
    Row(
        "POST",
        "api/auth/activate/",
        lambda w: "/api/auth/activate/",
        _everyone(400),
        lambda w, user: {"token": "not-a-token"},
    ),
    Row(
        "POST",
        "api/auth/activate/resend/",
        lambda w: "/api/auth/activate/resend/",
        _everyone(202),
        lambda w, user: {"email": w.member.email},
    ),
    Row(
        "POST",
        "api/auth/login/",
        lambda w: "/api/auth/login/",
        _everyone(200),
        lambda w, user: {"username": w.member.email, "password": PASSWORD},
    ),
    Row(
        "POST",
        "api/auth/login/verify/",
        lambda w: "/api/auth/login/verify/",
        _everyone(400),
        lambda w, user: {"otp_token": "not-a-token", "code": "123456"},
    ),
    Row(
        "POST",
        "api/auth/token/refresh/",
        lambda w: "/api/auth/token/refresh/",
        _everyone(200),
        lambda w, user: {"refresh": _issue_pair(w.member).refresh},
    ),
    Row(
        "POST",
        "api/auth/password/reset/",
        lambda w: "/api/auth/password/reset/",
        _everyone(202),
        lambda w, user: {"email": w.member.email},
    ),
    Row(
        "POST",
        "api/auth/password/reset/confirm/",
        lambda w: "/api/auth/password/reset/confirm/",
        _everyone(400),
        lambda w, user: {"token": "not-a-token", "new_password": "Fresh!Passw0rd-42"},
    ),
    # --- the caller's own account -------------------------------------------------------------
    Row("POST", "api/auth/logout/", lambda w: "/api/auth/logout/", _members(204), _refresh_of),
    Row(
        "POST",
        "api/auth/password/change/",
        lambda w: "/api/auth/password/change/",
        _members(204),
        lambda w, user: {"old_password": PASSWORD, "new_password": "Fresh!Passw0rd-42"},
    ),
    Row("GET", "api/users/me/", lambda w: "/api/users/me/", _members(200)),
    Row(
        "PUT",
        "api/users/me/",
        lambda w: "/api/users/me/",
        _members(200),
        lambda w, user: {"first_name": "Renamed", "last_name": "Reader"},
    ),
    Row(
        "PATCH",
        "api/users/me/",
        lambda w: "/api/users/me/",
        _members(200),
        lambda w, user: {"first_name": "Renamed"},
    ),
    Row(
        "POST",
        "api/users/me/phone/",
        lambda w: "/api/users/me/phone/",
        _members(202),
        lambda w, user: {"password": PASSWORD, "phone": "+989997776655"},
    ),
    Row(
        "POST",
        "api/users/me/phone/confirm/",
        lambda w: "/api/users/me/phone/confirm/",
        _members(400),
        lambda w, user: {"change_token": "not-a-token", "code": "123456"},
    ),
    Row(
        "POST",
        "api/users/me/email/",
        lambda w: "/api/users/me/email/",
        _members(202),
        lambda w, user: {"password": PASSWORD, "email": "new.address@example.com"},
    ),
    # The link is followed from the new mailbox, signed in or not.
    Row(
        "POST",
        "api/users/me/email/confirm/",
        lambda w: "/api/users/me/email/confirm/",
        _everyone(400),
        lambda w, user: {"token": "not-a-token"},
    ),
    # Every member of the world holds a book: deleting the account is refused (409).
    Row("DELETE", "api/users/me/", lambda w: "/api/users/me/", _members(409, admin=204)),
    Row("GET", "api/customers/me/", lambda w: "/api/customers/me/", _members(200)),
    Row(
        "PUT",
        "api/customers/me/",
        lambda w: "/api/customers/me/",
        _members(200),
        lambda w, user: {"city": w.city.pk, "address": "1 Library Road", "date_of_birth": None},
    ),
    Row(
        "PATCH",
        "api/customers/me/",
        lambda w: "/api/customers/me/",
        _members(200),
        lambda w, user: {"address": "2 Library Road"},
    ),
    Row("GET", "api/notifications/", lambda w: "/api/notifications/", _members(200)),
    Row(
        "POST",
        "api/notifications/<int:pk>/read/",
        lambda w: f"/api/notifications/{w.notification.pk}/read/",
        _owner_only(200),
    ),
    # --- users and customers: admins read all, a member only himself --------------------------
    Row("GET", "api/users/", lambda w: "/api/users/", _admin_only(200)),
    Row(
        "GET",
        "api/users/<int:pk>/",
        lambda w: f"/api/users/{w.member.pk}/",
        _owner_or_admin(200),
    ),
    Row("GET", "api/customers/", lambda w: "/api/customers/", _admin_only(200)),
    Row(
        "GET",
        "api/customers/<int:pk>/",
        lambda w: f"/api/customers/{w.member.customer.pk}/",
        _owner_or_admin(200),
    ),
    Row(
        "POST",
        "api/admin/users/<int:pk>/revoke-tokens/",
        lambda w: f"/api/admin/users/{w.member.pk}/revoke-tokens/",
        _admin_only(204),
    ),
    # --- catalog: reads are public; a book's and an author's data only by that author ---------
    Row("GET", "api/books/", lambda w: "/api/books/", _everyone(200)),
    Row(
        "POST",
        "api/books/",
        lambda w: "/api/books/",
        _author_only(201, admin=201),
        _book_input,
    ),
    Row("GET", "api/books/popular/", lambda w: "/api/books/popular/", _everyone(200)),
    Row("GET", "api/books/<pk>/", lambda w: f"/api/books/{w.book.pk}/", _everyone(200)),
    Row(
        "PUT",
        "api/books/<pk>/",
        lambda w: f"/api/books/{w.book.pk}/",
        _author_only(200),
        _book_input,
    ),
    Row(
        "PATCH",
        "api/books/<pk>/",
        lambda w: f"/api/books/{w.book.pk}/",
        _author_only(200),
        lambda w, user: {"description": "Now with a description."},
    ),
    # The book has active reservations: even its author is refused (409).
    Row(
        "DELETE",
        "api/books/<pk>/",
        lambda w: f"/api/books/{w.book.pk}/",
        _author_only(409),
    ),
    # Withdraw and reinstate: the book's author and staff allowed to change books.
    Row(
        "POST",
        "api/books/<pk>/withdraw/",
        lambda w: f"/api/books/{w.book.pk}/withdraw/",
        _author_only(200, admin=200),
        lambda w, user: {"reason": "Worn out"},
    ),
    # The book is withdrawn first (in the role's own savepoint).
    Row(
        "POST",
        "api/books/<pk>/reinstate/",
        lambda w: _withdrawn_book(w, "reinstate"),
        _author_only(200, admin=200),
    ),
    # --- a book's rating: any member rates it; each reads and withdraws only his own ----------
    # The owner has rated the book; nobody else has, so theirs is not found.
    Row(
        "GET",
        "api/books/<pk>/rating/",
        lambda w: f"/api/books/{w.book.pk}/rating/",
        _owner_only(200),
    ),
    Row(
        "PUT",
        "api/books/<pk>/rating/",
        lambda w: f"/api/books/{w.book.pk}/rating/",
        _members(200),
        lambda w, user: {"score": 6},
    ),
    Row(
        "DELETE",
        "api/books/<pk>/rating/",
        lambda w: f"/api/books/{w.book.pk}/rating/",
        _owner_only(204),
    ),
    # --- a book on a member's shelves and favourites: each reads and removes only his own ----
    # The owner has the book on a shelf and among his favourites; nobody else has.
    Row(
        "GET", "api/books/<pk>/shelf/", lambda w: f"/api/books/{w.book.pk}/shelf/", _owner_only(200)
    ),
    Row(
        "PUT",
        "api/books/<pk>/shelf/",
        lambda w: f"/api/books/{w.book.pk}/shelf/",
        _members(200),
        lambda w, user: {"shelf": "read"},
    ),
    Row(
        "DELETE",
        "api/books/<pk>/shelf/",
        lambda w: f"/api/books/{w.book.pk}/shelf/",
        _owner_only(204),
    ),
    Row(
        "GET",
        "api/books/<pk>/favourite/",
        lambda w: f"/api/books/{w.book.pk}/favourite/",
        _owner_only(200),
    ),
    Row(
        "PUT",
        "api/books/<pk>/favourite/",
        lambda w: f"/api/books/{w.book.pk}/favourite/",
        _members(200),
    ),
    Row(
        "DELETE",
        "api/books/<pk>/favourite/",
        lambda w: f"/api/books/{w.book.pk}/favourite/",
        _owner_only(204),
    ),
    Row("GET", "api/me/lists/", lambda w: "/api/me/lists/", _members(200)),
    Row("GET", "api/me/lists/<shelf>/", lambda w: "/api/me/lists/read/", _members(200)),
    # --- a book's like or dislike: any member sets one; each reads and withdraws only his own --
    # The owner has liked the book (made in the role's own savepoint); nobody else has.
    Row(
        "GET",
        "api/books/<int:pk>/reaction/",
        lambda w: _book_liked_by_owner(w),
        _owner_only(200),
    ),
    Row(
        "PUT",
        "api/books/<int:pk>/reaction/",
        lambda w: f"/api/books/{w.book.pk}/reaction/",
        _members(200),
        lambda w, user: {"reaction": "dislike"},
    ),
    Row(
        "DELETE",
        "api/books/<int:pk>/reaction/",
        lambda w: _book_liked_by_owner(w),
        _owner_only(204),
    ),
    # --- a review's like or dislike: the review is the other member's, liked by the owner; its
    # writer may not react to it (409) ---------------------------------------------------------
    Row(
        "GET",
        "api/reviews/<int:pk>/reaction/",
        lambda w: _review_liked_by_owner(w),
        _owner_only(200),
    ),
    Row(
        "PUT",
        "api/reviews/<int:pk>/reaction/",
        lambda w: _review_liked_by_owner(w),
        {**_members(200), "other": 409},
        lambda w, user: {"reaction": "dislike"},
    ),
    Row(
        "DELETE",
        "api/reviews/<int:pk>/reaction/",
        lambda w: _review_liked_by_owner(w),
        _owner_only(204),
    ),
    # --- reviews and replies: anyone reads the visible ones; members write (the owner has
    # reviewed the book already: 409); the writer alone edits or deletes his own --------------
    Row(
        "GET",
        "api/books/<int:pk>/reviews/",
        lambda w: f"/api/books/{w.book.pk}/reviews/",
        _everyone(200),
    ),
    Row(
        "POST",
        "api/books/<int:pk>/reviews/",
        lambda w: f"/api/books/{w.book.pk}/reviews/",
        {**_members(201), "owner": 409},
        lambda w, user: {"title": "My view", "body": "A slow start and a beautiful ending."},
    ),
    Row("GET", "api/reviews/<int:pk>/", lambda w: f"/api/reviews/{w.review.pk}/", _everyone(200)),
    Row(
        "PATCH",
        "api/reviews/<int:pk>/",
        lambda w: f"/api/reviews/{w.review.pk}/",
        _owner_only(200),
        lambda w, user: {"body": "Better said on a second reading."},
    ),
    Row(
        "DELETE",
        "api/reviews/<int:pk>/",
        lambda w: f"/api/reviews/{w.review.pk}/",
        _owner_only(204),
    ),
    Row(
        "GET",
        "api/reviews/<int:pk>/replies/",
        lambda w: f"/api/reviews/{w.review.pk}/replies/",
        _everyone(200),
    ),
    Row(
        "POST",
        "api/reviews/<int:pk>/replies/",
        lambda w: f"/api/reviews/{w.review.pk}/replies/",
        _members(201),
        lambda w, user: {"body": "I read it the same way."},
    ),
    Row("GET", "api/replies/<int:pk>/", lambda w: f"/api/replies/{w.reply.pk}/", _everyone(200)),
    Row(
        "PATCH",
        "api/replies/<int:pk>/",
        lambda w: f"/api/replies/{w.reply.pk}/",
        _owner_only(200),
        lambda w, user: {"body": "On second thought, yes."},
    ),
    Row(
        "DELETE",
        "api/replies/<int:pk>/",
        lambda w: f"/api/replies/{w.reply.pk}/",
        _owner_only(204),
    ),
    # --- reports to the moderators: anyone signed in, once per item, never of their own ------
    # The owner wrote the review and the reply (409 `own_item`); anyone else reports them.
    Row(
        "POST",
        "api/reviews/<int:pk>/report/",
        lambda w: f"/api/reviews/{w.review.pk}/report/",
        {**_members(201), "owner": 409},
        lambda w, user: {"reason": "spam", "note": "A link to a shop."},
    ),
    Row(
        "POST",
        "api/replies/<int:pk>/report/",
        lambda w: f"/api/replies/{w.reply.pk}/report/",
        {**_members(201), "owner": 409},
        lambda w, user: {"reason": "abuse"},
    ),
    Row("GET", "api/authors/", lambda w: "/api/authors/", _everyone(200)),
    # A member creates his own profile; the author already has one (409); an admin may create
    # a profile without an account; staff without permission create their own, like a member.
    Row(
        "POST",
        "api/authors/",
        lambda w: "/api/authors/",
        {**_members(201), "author": 409},
        lambda w, user: {"name": "A new author"},
    ),
    Row(
        "GET",
        "api/authors/<pk>/",
        lambda w: f"/api/authors/{w.author_profile.pk}/",
        _everyone(200),
    ),
    Row(
        "PUT",
        "api/authors/<pk>/",
        lambda w: f"/api/authors/{w.author_profile.pk}/",
        _author_only(200),
        lambda w, user: {"name": "Renamed author", "bio": "", "city": None},
    ),
    Row(
        "PATCH",
        "api/authors/<pk>/",
        lambda w: f"/api/authors/{w.author_profile.pk}/",
        _author_only(200),
        lambda w, user: {"bio": "Writes books."},
    ),
    # The author has a book: the profile cannot go (409).
    Row(
        "DELETE",
        "api/authors/<pk>/",
        lambda w: f"/api/authors/{w.author_profile.pk}/",
        _author_only(409),
    ),
]

# Genres are public, cities need a token; writes are for admins.
for _name, _ref, _read in (("genres", "genre", _everyone), ("cities", "city", _members)):
    MATRIX += [
        Row("GET", f"api/{_name}/", lambda w, n=_name: f"/api/{n}/", _read(200)),
        Row(
            "POST",
            f"api/{_name}/",
            lambda w, n=_name: f"/api/{n}/",
            _admin_only(201),
            lambda w, user: {"name": "A new name"},
        ),
        Row(
            "GET",
            f"api/{_name}/<pk>/",
            lambda w, n=_name, r=_ref: f"/api/{n}/{getattr(w, r).pk}/",
            _read(200),
        ),
        Row(
            "PUT",
            f"api/{_name}/<pk>/",
            lambda w, n=_name, r=_ref: f"/api/{n}/{getattr(w, r).pk}/",
            _admin_only(200),
            lambda w, user: {"name": "Renamed"},
        ),
        Row(
            "PATCH",
            f"api/{_name}/<pk>/",
            lambda w, n=_name, r=_ref: f"/api/{n}/{getattr(w, r).pk}/",
            _admin_only(200),
            lambda w, user: {"name": "Renamed"},
        ),
    ]
MATRIX += [
    # The genre has books (409); the city has none (204).
    Row(
        "DELETE",
        "api/genres/<pk>/",
        lambda w: f"/api/genres/{w.genre.pk}/",
        _admin_only(409),
    ),
    Row("DELETE", "api/cities/<pk>/", lambda w: f"/api/cities/{w.city.pk}/", _admin_only(204)),
    # --- wallet, payments, memberships --------------------------------------------------------
    Row("GET", "api/wallet/", lambda w: "/api/wallet/", _members(200)),
    Row("GET", "api/wallet/transactions/", lambda w: "/api/wallet/transactions/", _members(200)),
    Row(
        "POST",
        "api/wallet/charge/",
        lambda w: "/api/wallet/charge/",
        _members(201),
        lambda w, user: {"amount": 10_000},
    ),
    Row(
        "GET",
        "api/wallet/charge/",
        lambda w: "/api/wallet/charge/?amount=5000",
        _members(200),
    ),
    Row("GET", "api/payments/", lambda w: "/api/payments/", _members(200)),
    # Public (the gateway calls it), and a body without a valid signature is refused.
    Row(
        "POST",
        "api/payments/webhook/",
        lambda w: "/api/payments/webhook/",
        _everyone(400),
        lambda w, user: {"reference": "x", "status": "succeeded", "amount": 1},
    ),
    # Public (the member's browser comes back from Zarinpal): an authority naming no payment
    # redirects to the front end with status=unknown, for everyone alike, and asks Zarinpal nothing.
    Row(
        "GET",
        "api/payments/zarinpal/callback/",
        lambda w: (
            "/api/payments/zarinpal/callback/?Authority=A000000000000000000000000000000001"
            "&Status=OK"
        ),
        _everyone(302),
    ),
    Row("GET", "api/memberships/plans/", lambda w: "/api/memberships/plans/", _everyone(200)),
    # The staff members' wallets are empty: 402.
    Row(
        "POST",
        "api/memberships/",
        lambda w: "/api/memberships/",
        _members(201, admin=402),
        lambda w, user: {"plan": "plus", "months": 1},
    ),
    Row("GET", "api/memberships/current/", lambda w: "/api/memberships/current/", _members(200)),
    # --- reservations and the queue: one's own only ---------------------------------------------
    Row("GET", "api/reservations/", lambda w: "/api/reservations/", _members(200)),
    # owner and other hold the book already (409); the author reserves its last unit (201);
    # neither staff member has a membership (403 membership_required).
    Row(
        "POST",
        "api/reservations/",
        lambda w: "/api/reservations/",
        {**_members(409, admin=403), "author": 201},
        lambda w, user: {"book": w.book.pk, "days": 2},
    ),
    Row(
        "POST",
        "api/reservations/quote/",
        lambda w: "/api/reservations/quote/",
        _members(200, admin=403),
        lambda w, user: {"book": w.book.pk, "days": 2},
    ),
    Row(
        "GET",
        "api/reservations/<int:pk>/",
        lambda w: f"/api/reservations/{w.reservation.pk}/",
        _owner_only(200),
    ),
    Row(
        "PUT",
        "api/reservations/<int:pk>/",
        lambda w: f"/api/reservations/{w.reservation.pk}/",
        _owner_only(200),
        lambda w, user: {"days": 4},
    ),
    Row(
        "DELETE",
        "api/reservations/<int:pk>/",
        lambda w: f"/api/reservations/{w.reservation.pk}/",
        _owner_only(204),
    ),
    Row("GET", "api/reservations/queue/", lambda w: "/api/reservations/queue/", _members(200)),
    Row(
        "DELETE",
        "api/reservations/queue/<int:pk>/",
        lambda w: f"/api/reservations/queue/{w.queue_entry.pk}/",
        _owner_only(204),
    ),
    Row(
        "POST",
        "api/reservations/queue/<int:pk>/suspend/",
        lambda w: f"/api/reservations/queue/{w.queue_entry.pk}/suspend/",
        _owner_only(200),
        _until,
    ),
    Row(
        "POST",
        "api/reservations/queue/<int:pk>/resume/",
        lambda w: f"/api/reservations/queue/{w.queue_entry.pk}/resume/",
        _owner_only(200),
    ),
    # --- admin operations -----------------------------------------------------------------------
    Row(
        "GET",
        "api/admin/books/<int:pk>/holders/",
        lambda w: f"/api/admin/books/{w.book.pk}/holders/",
        _admin_only(200),
    ),
    Row(
        "POST",
        "api/admin/reservations/<int:pk>/end/",
        lambda w: f"/api/admin/reservations/{w.reservation.pk}/end/",
        _admin_only(200),
    ),
    Row(
        "DELETE",
        "api/admin/queue/<int:pk>/",
        lambda w: f"/api/admin/queue/{w.queue_entry.pk}/",
        _admin_only(204),
    ),
]


def _view_methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return {method.upper() for method in actions if method not in ("options", "head")}
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return {
        method.upper()
        for method in view.http_method_names
        if method not in ("options", "head") and hasattr(view, method)
    }


def _api_endpoints(patterns=None, prefix: str = "") -> set[tuple[str, str]]:
    found = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= _api_endpoints(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            if "(?P<format>" in route:
                continue  # DRF's format-suffix twins of the same view
            route = route.replace("(?P<pk>[^/.]+)", "<pk>").replace("^", "").replace("$", "")
            found |= {(route, method) for method in _view_methods(pattern.callback)}
    return found


def test_every_api_endpoint_has_a_row_in_the_matrix():
    in_matrix = {row.key for row in MATRIX}
    assert len(in_matrix) == len(MATRIX), "a row appears twice"
    endpoints = _api_endpoints()
    assert endpoints - in_matrix == set(), "endpoints without a row"
    assert in_matrix - endpoints == set(), "rows for endpoints that do not exist"


@pytest.fixture
def world(db) -> World:
    return make_world()


def _actor(w: World, role: str):
    return {
        "anonymous": None,
        "owner": w.member,
        "other": w.other,
        "author": w.author,
        "admin": w.admin,
        "staff_noperm": w.staff_noperm,
    }[role]


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.route}")
def test_endpoint_answers_each_role_as_the_spec_says(world, row):
    """One world per row; each role's request runs in a savepoint rolled back afterwards, with
    the cache (attempt counters among it) emptied, so no role's request sees another's."""
    answered = {}
    for role in ROLES:
        user = _actor(world, role)
        cache.clear()
        with transaction.atomic():
            response = client_for(user).generic(
                row.method,
                row.path(world),
                data=json.dumps(row.body(world, user)),
                content_type="application/json",
            )
            transaction.set_rollback(True)
        answered[role] = response.status_code
    assert answered == row.expected
