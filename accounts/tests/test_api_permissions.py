"""Every endpoint of the accounts API, times anonymous / owner / another member / admin → status."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import as_user
from accounts.tests.factories import AdminFactory, CustomerFactory, NotificationFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other", "admin")

# (method, path, body, expected statuses for anonymous, owner, other member, admin)
# `{user}` is the owner's user id, `{customer}` the owner's customer id, `{notification}` the
# owner's notification. Public steps get bodies that are invalid or harmless for everybody.
MATRIX = [
    ("post", "/api/auth/signup/", {}, (400, 400, 400, 400)),
    ("post", "/api/auth/activate/", {"token": "nope"}, (400, 400, 400, 400)),
    ("post", "/api/auth/activate/resend/", {"email": "x@example.com"}, (202, 202, 202, 202)),
    ("post", "/api/auth/login/", {"username": "x@example.com", "password": "x"}, (401,) * 4),
    ("post", "/api/auth/login/verify/", {"otp_token": "x", "code": "123456"}, (400,) * 4),
    ("post", "/api/auth/token/refresh/", {"refresh": "x"}, (401, 401, 401, 401)),
    ("post", "/api/auth/logout/", {"refresh": "x"}, (401, 400, 400, 400)),
    (
        "post",
        "/api/auth/password/change/",
        {"old_password": "x", "new_password": "y"},
        (401, 400, 400, 400),
    ),
    ("post", "/api/auth/password/reset/", {"email": "x@example.com"}, (202, 202, 202, 202)),
    ("post", "/api/auth/password/reset/confirm/", {"token": "x", "new_password": "y"}, (400,) * 4),
    ("get", "/api/users/me/", None, (401, 200, 200, 200)),
    (
        "put",
        "/api/users/me/",
        {"first_name": "A", "last_name": "B"},
        (401, 200, 200, 200),
    ),
    ("patch", "/api/users/me/", {"first_name": "A"}, (401, 200, 200, 200)),
    ("delete", "/api/users/me/", None, (401, 204, 204, 204)),
    ("post", "/api/users/me/phone/", {"password": "x", "phone": "0"}, (401, 400, 400, 400)),
    ("post", "/api/users/me/phone/confirm/", {"change_token": "x"}, (401, 400, 400, 400)),
    ("post", "/api/users/me/email/", {"password": "x", "email": "x"}, (401, 400, 400, 400)),
    ("post", "/api/users/me/email/confirm/", {"token": "x"}, (400, 400, 400, 400)),
    ("get", "/api/users/", None, (401, 403, 403, 200)),
    ("post", "/api/users/", {}, (401, 403, 403, 405)),
    ("get", "/api/users/{user}/", None, (401, 200, 404, 200)),
    ("patch", "/api/users/{user}/", {"first_name": "A"}, (401, 405, 405, 405)),
    ("get", "/api/customers/me/", None, (401, 200, 200, 200)),
    (
        "put",
        "/api/customers/me/",
        {"city": None, "address": "x", "date_of_birth": None},
        (401, 200, 200, 200),
    ),
    ("patch", "/api/customers/me/", {"address": "x"}, (401, 200, 200, 200)),
    ("delete", "/api/customers/me/", None, (401, 405, 405, 405)),
    ("get", "/api/customers/", None, (401, 403, 403, 200)),
    ("get", "/api/customers/{customer}/", None, (401, 200, 404, 200)),
    ("get", "/api/notifications/", None, (401, 200, 200, 200)),
    ("post", "/api/notifications/{notification}/read/", None, (401, 200, 404, 404)),
    ("post", "/api/admin/users/{user}/revoke-tokens/", None, (401, 403, 403, 204)),
]


@pytest.fixture
def world():
    owner = CustomerFactory()
    other = CustomerFactory()
    admin = AdminFactory()
    CustomerFactory(user=admin)
    return {
        "owner": owner.user,
        "other": other.user,
        "admin": admin,
        "ids": {
            "user": owner.user.pk,
            "customer": owner.pk,
            "notification": NotificationFactory(user=owner.user).pk,
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status(world, method, path, body, expected, role):
    client = APIClient() if role == "anonymous" else as_user(world[role])
    url = path.format(**world["ids"])
    response = (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else getattr(client, method)(url)
    )
    assert response.status_code == expected[ROLES.index(role)], response.content
