"""Races that only real databases and caches show: threads, each with its own connection."""

import functools
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from accounts.tokens import RefreshToken


def _race(worker, count: int) -> list:
    """Run `worker` in `count` threads released together; their results in any order."""
    barrier = threading.Barrier(count)
    results = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            outcome = worker()
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _refresh(refresh: str):
    return APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")


def _me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/users/me/")


def _logout(access: str, refresh: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post("/api/auth/logout/", {"refresh": refresh}, format="json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_give_exactly_one_new_pair(member):
    for _ in range(3):  # a few rounds, each with a fresh sign-in
        refresh = str(RefreshToken.for_user(member))
        responses = _race(functools.partial(_refresh, refresh), 4)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 401, 401, 401]
        # The losers presented a rotated token: a reuse, so the winner's pair is revoked too.
        winner = next(r.json() for r in responses if r.status_code == 200)
        assert _refresh(winner["refresh"]).status_code == 401
        assert _me(winner["access"]).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_logout_racing_a_refresh_leaves_no_working_token(member):
    for _ in range(6):
        pair = RefreshToken.for_user(member)
        refresh, access = str(pair), str(pair.access_token)
        jobs = iter(
            [
                ("refresh", functools.partial(_refresh, refresh)),
                ("logout", functools.partial(_logout, access, refresh)),
            ]
        )
        take = threading.Lock()

        def run_one(jobs=jobs, take=take):
            with take:
                name, job = next(jobs)
            return name, job()

        outcomes = dict(_race(run_one, 2))
        assert outcomes["logout"].status_code == 204
        assert outcomes["refresh"].status_code in (200, 401)
        if outcomes["refresh"].status_code == 200:  # it won the race: logout revoked its pair
            rotated = outcomes["refresh"].json()
            assert _refresh(rotated["refresh"]).status_code == 401
            assert _me(rotated["access"]).status_code == 401
        assert _refresh(refresh).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_with_one_email_create_one_account_and_answer_400():
    def sign_up():
        n = threading.get_ident() % 10_000_000
        return APIClient().post(
            "/api/auth/signup/",
            {"email": "race@example.com", "phone": f"+98991{n:07d}", "password": PASSWORD},
            format="json",
        )

    statuses = sorted(r.status_code for r in _race(sign_up, 4))
    assert statuses == [201, 400, 400, 400]
    assert User.objects.filter(email="race@example.com").count() == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_login_throttle_holds_under_concurrent_attempts(settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "5/min"}

    def attempt():
        return APIClient().post(
            "/api/auth/login/", {"username": "target@example.com", "password": "x"}, format="json"
        )

    statuses = [r.status_code for r in _race(attempt, 12)]
    assert statuses.count(401) == 5
    assert statuses.count(429) == 7
