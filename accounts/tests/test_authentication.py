"""The authentication class: revocation and logout checked in the query that loads the user."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from accounts import services
from accounts.authentication import RevocableJWTAuthentication
from accounts.models import RevokedAccessToken, User
from accounts.tests.conftest import bearer, tokens_for
from accounts.tests.factories import PASSWORD, AdminFactory, CustomerFactory
from accounts.tokens import AccessToken, RefreshToken
from catalog.tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def test_tokens_carry_a_sub_second_issue_time(member):
    refresh = RefreshToken.for_user(member)
    access = refresh.access_token
    assert isinstance(access["iat"], float) and isinstance(refresh["iat"], float)
    assert abs(access["iat"] - timezone.now().timestamp()) < 5
    assert AccessToken(str(access))["iat"] == access["iat"]  # survives the round trip


def test_an_authenticated_request_costs_one_query_whatever_was_revoked(
    member, other_member, django_assert_num_queries
):
    before = bearer(tokens_for(member)["access"])
    with django_assert_num_queries(1):
        assert before.get("/api/users/me/").status_code == 200

    # Logouts fill RevokedAccessToken, revocations set tokens_valid_after: still one query.
    for user in (member, other_member):
        pair = tokens_for(user)
        bearer(pair["access"]).post("/api/auth/logout/", {"refresh": pair["refresh"]})
    services.user_revoke_tokens(user_id=member.pk, by=AdminFactory())
    assert RevokedAccessToken.objects.count() == 2

    after = bearer(tokens_for(member)["access"])
    with django_assert_num_queries(1):
        assert after.get("/api/users/me/").status_code == 200
    with django_assert_num_queries(1):
        assert before.get("/api/users/me/").status_code == 401


def test_a_logged_out_access_token_is_refused_with_a_flat_error(member):
    pair = tokens_for(member)
    client = bearer(pair["access"])
    client.post("/api/auth/logout/", {"refresh": pair["refresh"]})
    response = client.get("/api/users/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "token_revoked", "detail": "The token has been revoked."}


def test_a_malformed_token_gets_the_flat_token_not_valid_error(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api.get("/api/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert isinstance(response.json()["detail"], str)


def test_a_refresh_token_is_not_accepted_as_an_access_token(member):
    response = bearer(tokens_for(member)["refresh"]).get("/api/users/me/")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(member):
    client = bearer(tokens_for(member)["access"])
    member.is_active = False
    member.save()
    response = client.get("/api/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_a_stale_token_does_not_block_the_public_sign_in_steps(member):
    client = bearer("not.a.jwt")
    response = client.post("/api/auth/login/", {"username": member.email, "password": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def _authenticate(access: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")
    return RevocableJWTAuthentication().authenticate(request)[0]


def test_the_user_comes_with_its_customer_profile_in_the_same_query(django_assert_num_queries):
    revoked_at = timezone.now() - timedelta(days=1)
    customer = CustomerFactory(
        city=CityFactory(), address="Enghelab St. 12", date_of_birth=date(1990, 5, 17)
    )
    User.objects.filter(pk=customer.user_id).update(tokens_valid_after=revoked_at)
    access = tokens_for(customer.user)["access"]

    with django_assert_num_queries(1):
        user = _authenticate(access)
        profile = user.customer

    assert (user.pk, user.email, user.is_active, user.is_staff) == (
        customer.user_id,
        customer.user.email,
        True,
        False,
    )
    assert user.tokens_valid_after == revoked_at  # an aware datetime on every database
    assert user.check_password(PASSWORD)
    assert (profile.pk, profile.city_id, profile.address, profile.date_of_birth) == (
        customer.pk,
        customer.city_id,
        "Enghelab St. 12",
        date(1990, 5, 17),
    )
    assert profile.user is user


def test_a_user_without_a_customer_profile_has_none_at_no_further_query(
    django_assert_num_queries,
):
    staff = AdminFactory()
    access = tokens_for(staff)["access"]
    with django_assert_num_queries(1):
        user = _authenticate(access)
        assert getattr(user, "customer", None) is None
    assert (user.pk, user.is_staff, user.is_superuser) == (staff.pk, True, True)


def test_a_token_of_a_deleted_user_is_refused_as_user_not_found(member):
    client = bearer(tokens_for(member)["access"])
    member.delete()
    response = client.get("/api/users/me/")
    assert (response.status_code, response.json()["code"]) == (401, "user_not_found")
