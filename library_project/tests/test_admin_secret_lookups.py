"""No admin list filters on a secret field (`?password__startswith=argon2…` would reveal a hash one
character at a time), directly or through relations; a refused filter is a 400, never a 500."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from accounts.services._common import _issue_pair
from accounts.tests.factories import AdminFactory, CustomerFactory
from core.admin_tools import lookup_reaches_secret

pytestmark = pytest.mark.django_db

# Every stored secret: password hashes, token and code hashes, simplejwt's whole refresh tokens.
SECRETS = {
    ("accounts.user", "password"),
    ("accounts.activationtoken", "token_hash"),
    ("accounts.passwordresettoken", "token_hash"),
    ("accounts.otpchallenge", "token_hash"),
    ("accounts.otpchallenge", "code_hash"),
    ("token_blacklist.outstandingtoken", "token"),
}


def _lookups_to_secrets(model, prefix: str = "", depth: int = 3) -> set[str]:
    """Every filter path from `model` to a secret field, through up to `depth` relations."""
    found = set()
    for field in model._meta.get_fields():
        path = f"{prefix}{field.name}"
        if not field.is_relation:
            if (model._meta.label_lower, field.name) in SECRETS:
                found.add(path)
        elif depth and field.related_model is not None:
            found |= _lookups_to_secrets(field.related_model, f"{path}__", depth - 1)
    return found


def test_the_listed_secrets_exist():
    for label, name in SECRETS:
        apps.get_model(label)._meta.get_field(name)


@pytest.fixture
def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = AdminFactory()
    return request


def test_every_registered_admin_refuses_every_lookup_reaching_a_secret(superuser_request):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        for path in _lookups_to_secrets(model):
            for lookup in (path, f"{path}__startswith", f"{path}__regex"):
                assert not model_admin.lookup_allowed(lookup, "a", superuser_request), (
                    f"{type(model_admin).__name__} allows {lookup}"
                )
                checked += 1
    assert checked >= 30  # the user's password from customers, tokens, payments, ledger, ...


def test_lookups_on_ordinary_fields_stay_allowed(superuser_request):
    user_admin = admin.site._registry[apps.get_model("accounts.user")]
    assert user_admin.lookup_allowed("email__startswith", "mina", superuser_request)
    assert user_admin.lookup_allowed("is_staff__exact", "1", superuser_request)
    assert not lookup_reaches_secret(apps.get_model("accounts.customer"), "user__email")


@pytest.fixture
def staff_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/?password__startswith=argon2%24argon2id",
        "/admin/accounts/user/?password__regex=%5Eargon2",
        "/admin/accounts/customer/?user__password__startswith=argon2",
        "/admin/purchasing/payment/?wallet__customer__user__password__startswith=argon2",
        "/admin/auth/group/?user__password__startswith=argon2",
        "/admin/token_blacklist/outstandingtoken/?token__startswith=ey",
        "/admin/token_blacklist/blacklistedtoken/?token__token__startswith=ey",
        "/admin/token_blacklist/outstandingtoken/?user__password__startswith=argon2",
    ],
)
def test_a_filter_on_a_secret_answers_400(staff_client, settings, url, debug):
    settings.DEBUG = debug
    CustomerFactory()
    response = staff_client.get(url)
    assert response.status_code == 400


def test_the_outstanding_token_page_does_not_show_the_refresh_token(staff_client):
    member = CustomerFactory().user
    refresh = _issue_pair(member).refresh
    token = apps.get_model("token_blacklist.outstandingtoken").objects.get(user=member)
    page = staff_client.get(f"/admin/token_blacklist/outstandingtoken/{token.pk}/change/")
    assert page.status_code == 200
    assert token.jti in page.content.decode()
    assert refresh not in page.content.decode()
