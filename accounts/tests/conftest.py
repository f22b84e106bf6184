import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD, AdminFactory, CustomerFactory
from library_project.tests.outbox import outbox


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """Every test here reads what it sent from the in-memory outboxes."""


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def member():
    return CustomerFactory().user


@pytest.fixture
def other_member():
    return CustomerFactory().user


@pytest.fixture
def admin():
    user = AdminFactory()
    CustomerFactory(user=user)
    return user


def login(client: APIClient, user, password: str = PASSWORD) -> dict:
    """The whole sign-in through HTTP: password, the code from the SMS outbox, tokens."""
    step1 = client.post("/api/auth/login/", {"username": user.email, "password": password})
    assert step1.status_code == 200, step1.json()
    code = outbox.last_code()
    step2 = client.post(
        "/api/auth/login/verify/", {"otp_token": step1.json()["otp_token"], "code": code}
    )
    assert step2.status_code == 200, step2.json()
    return step2.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def tokens_for(user) -> dict:
    """A fresh pair without the SMS round trip (for tests not about signing in)."""
    from accounts.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def as_user(user) -> APIClient:
    return bearer(tokens_for(user)["access"])
