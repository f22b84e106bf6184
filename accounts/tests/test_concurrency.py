"""Races that only real databases and caches show: threads, each with its own connection."""

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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_give_exactly_one_new_pair(member):
    refresh = str(RefreshToken.for_user(member))

    def refresh_once():
        return APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    for _ in range(3):  # a few rounds, each with a fresh token
        responses = _race(refresh_once, 4)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 401, 401, 401]
        refresh = next(r.json()["refresh"] for r in responses if r.status_code == 200)


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
