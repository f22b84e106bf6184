"""Refresh-token families: a rotated token presented again, or a logout, revokes the whole family."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TokenFamily
from accounts.tasks import purge_expired_credentials
from accounts.tests.conftest import bearer, login, tokens_for
from accounts.tokens import FAMILY_CLAIM, AccessToken, RefreshToken

pytestmark = pytest.mark.django_db(transaction=True)  # the login code is texted on commit

REFRESH = "/api/auth/token/refresh/"


def _rotate(api, refresh: str) -> dict:
    response = api.post(REFRESH, {"refresh": refresh})
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_sign_in_starts_a_family_that_rotation_and_access_tokens_carry(api, member):
    first = login(api, member)
    second = _rotate(api, first["refresh"])
    families = {
        RefreshToken(first["refresh"])[FAMILY_CLAIM],
        AccessToken(first["access"])[FAMILY_CLAIM],
        RefreshToken(second["refresh"])[FAMILY_CLAIM],
        AccessToken(second["access"])[FAMILY_CLAIM],
    }
    assert len(families) == 1
    assert RefreshToken(login(api, member)["refresh"])[FAMILY_CLAIM] not in families


def test_reusing_a_rotated_token_revokes_its_descendants_and_their_access_tokens(
    api, member, caplog
):
    caplog.set_level(logging.INFO)
    first = login(api, member)
    second = _rotate(api, first["refresh"])
    third = _rotate(api, second["refresh"])
    other_session = tokens_for(member)

    reuse = api.post(REFRESH, {"refresh": first["refresh"]})

    assert (reuse.status_code, reuse.json()["code"]) == (401, "token_not_valid")
    assert api.post(REFRESH, {"refresh": third["refresh"]}).status_code == 401
    for access in (first["access"], second["access"], third["access"]):
        response = bearer(access).get("/api/users/me/")
        assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
    assert bearer(other_session["access"]).get("/api/users/me/").status_code == 200
    assert _rotate(api, other_session["refresh"])
    events = [(r.event, getattr(r, "reason", None)) for r in caplog.records if hasattr(r, "event")]
    assert ("auth.refresh_failed", "reused") in events


def test_logout_revokes_every_token_of_the_family(api, member):
    first = login(api, member)
    second = _rotate(api, first["refresh"])

    assert (
        bearer(second["access"])
        .post("/api/auth/logout/", {"refresh": second["refresh"]})
        .status_code
        == 204
    )

    assert bearer(first["access"]).get("/api/users/me/").status_code == 401
    assert api.post(REFRESH, {"refresh": second["refresh"]}).status_code == 401


def test_logout_with_a_rotated_token_revokes_its_descendants(api, member):
    first = login(api, member)
    second = _rotate(api, first["refresh"])

    logout = bearer(second["access"]).post("/api/auth/logout/", {"refresh": first["refresh"]})

    assert logout.status_code == 204
    assert api.post(REFRESH, {"refresh": second["refresh"]}).status_code == 401


def test_a_revoked_family_costs_no_extra_query_per_request(api, member, django_assert_num_queries):
    pair = login(api, member)
    live = bearer(pair["access"])
    with django_assert_num_queries(1):
        assert live.get("/api/users/me/").status_code == 200
    _rotate(api, pair["refresh"])
    assert api.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401  # a reuse
    with django_assert_num_queries(1):
        assert live.get("/api/users/me/").status_code == 401


def test_tokens_from_before_families_still_work_and_rotate_into_one(api, member):
    refresh = RefreshToken.for_user(member)
    del refresh[FAMILY_CLAIM]
    legacy = {"access": str(refresh.access_token), "refresh": str(refresh)}
    assert bearer(legacy["access"]).get("/api/users/me/").status_code == 200

    rotated = _rotate(api, legacy["refresh"])
    assert RefreshToken(rotated["refresh"])[FAMILY_CLAIM] == refresh["jti"]
    assert api.post(REFRESH, {"refresh": legacy["refresh"]}).status_code == 401
    assert api.post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 401


def test_the_purge_deletes_families_whose_last_refresh_token_expired(api, member):
    now = timezone.now()
    expired = TokenFamily.objects.create(
        id="old", user=member, expires_at=now - timedelta(seconds=1)
    )
    pair = login(api, member)
    _rotate(api, pair["refresh"])
    live = TokenFamily.objects.exclude(pk=expired.pk).get()
    assert live.expires_at > now

    assert purge_expired_credentials()["TokenFamily"] == 1
    assert list(TokenFamily.objects.values_list("pk", flat=True)) == [live.pk]
