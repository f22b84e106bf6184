"""Every catalog endpoint for each role: anonymous / author of the book / another author / member / admin."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, UserFactory
from catalog.tests.factories import AuthorFactory, BookFactory, CityFactory, GenreFactory, isbn13

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "book_author", "other_author", "member", "admin")


@pytest.fixture
def world():
    book_author = AuthorFactory(user=UserFactory())
    other_author = AuthorFactory(user=UserFactory())
    reference_author = AuthorFactory()
    book = BookFactory(authors=[book_author, reference_author])
    return {
        "users": {
            "anonymous": None,
            "book_author": book_author.user,
            "other_author": other_author.user,
            "member": UserFactory(),
            "admin": AdminFactory(),
        },
        "book": book,
        "author": book_author,
        "genre": GenreFactory(),  # no books: deletable
        "city": CityFactory(),
    }


def book_payload(world):
    return {
        "title": "A new title",
        "isbn": isbn13(999_999),
        "genre": world["book"].genre_id,
        "authors": [world["author"].pk],
        "published_year": 2001,
        "total_units": 2,
    }


PAYLOADS = {
    "book": book_payload,
    "book_patch": lambda world: {"title": "Renamed"},
    "author": lambda world: {"name": "Renamed Author", "bio": "b"},
    "named": lambda world: {"name": "Brand New Name"},
}

# (method, path, payload, {role: status}); {book}, {author}, {genre}, {city} are ids.
MATRIX = [
    ("get", "/api/books/", None, dict.fromkeys(ROLES, 200)),
    ("get", "/api/books/{book}/", None, dict.fromkeys(ROLES, 200)),
    ("get", "/api/books/popular/", None, dict.fromkeys(ROLES, 200)),
    ("post", "/api/books/", "book", [401, 201, 201, 403, 201]),
    ("put", "/api/books/{book}/", "book", [401, 200, 403, 403, 403]),
    ("patch", "/api/books/{book}/", "book_patch", [401, 200, 403, 403, 403]),
    ("delete", "/api/books/{book}/", None, [401, 204, 403, 403, 403]),
    ("get", "/api/authors/", None, dict.fromkeys(ROLES, 200)),
    ("get", "/api/authors/{author}/", None, dict.fromkeys(ROLES, 200)),
    ("post", "/api/authors/", "author", [401, 409, 409, 201, 201]),
    ("put", "/api/authors/{author}/", "author", [401, 200, 403, 403, 403]),
    ("patch", "/api/authors/{author}/", "author", [401, 200, 403, 403, 403]),
    ("delete", "/api/authors/{author}/", None, [401, 204, 403, 403, 403]),
    ("get", "/api/genres/", None, dict.fromkeys(ROLES, 200)),
    ("get", "/api/genres/{genre}/", None, dict.fromkeys(ROLES, 200)),
    ("post", "/api/genres/", "named", [401, 403, 403, 403, 201]),
    ("put", "/api/genres/{genre}/", "named", [401, 403, 403, 403, 200]),
    ("patch", "/api/genres/{genre}/", "named", [401, 403, 403, 403, 200]),
    ("delete", "/api/genres/{genre}/", None, [401, 403, 403, 403, 204]),
    ("get", "/api/cities/", None, [401, 200, 200, 200, 200]),
    ("get", "/api/cities/{city}/", None, [401, 200, 200, 200, 200]),
    ("post", "/api/cities/", "named", [401, 403, 403, 403, 201]),
    ("put", "/api/cities/{city}/", "named", [401, 403, 403, 403, 200]),
    ("patch", "/api/cities/{city}/", "named", [401, 403, 403, 403, 200]),
    ("delete", "/api/cities/{city}/", None, [401, 403, 403, 403, 204]),
]

CASES = [
    pytest.param(
        method,
        path,
        payload,
        role,
        expected[role] if isinstance(expected, dict) else expected[index],
        id=f"{method} {path} as {role}",
    )
    for method, path, payload, expected in MATRIX
    for index, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "path", "payload", "role", "expected"), CASES)
def test_permission_matrix(world, method, path, payload, role, expected):
    client = APIClient()
    user = world["users"][role]
    if user is not None:
        client.force_authenticate(user)
    url = path.format(**{name: world[name].pk for name in ("book", "author", "genre", "city")})
    data = PAYLOADS[payload](world) if payload else None
    response = getattr(client, method)(url, data)
    assert response.status_code == expected, response.content
