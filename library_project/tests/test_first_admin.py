"""A fresh deployment's first admin comes from `manage.py createsuperuser`, not the sample data:
it asks for the phone that staff sign-in codes are sent to, and the account can sign in."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from rest_framework.test import APIClient

from accounts.models import User
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db

PASSWORD = "First!Admin-2026-secret"


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """SMS and email go to the in-memory outboxes, emptied for each test."""


def _create_superuser(monkeypatch, **options) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, verbosity=0, **options)


def _post(client, path: str, body: dict):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path, data=json.dumps(body), content_type="application/json")


def test_createsuperuser_makes_an_active_admin_who_signs_in_with_a_code_sent_to_the_phone(
    monkeypatch,
):
    _create_superuser(monkeypatch, email="Head@Library.example", phone="+989121234567")
    admin = User.objects.get()
    assert (admin.email, admin.phone) == ("head@library.example", "+989121234567")
    assert admin.is_active and admin.is_staff and admin.is_superuser

    client = APIClient()
    step_one = _post(
        client, "/api/auth/login/", {"username": "head@library.example", "password": PASSWORD}
    )
    assert step_one.status_code == 200, step_one.content
    assert outbox.sms[-1].to == "+989121234567"
    code = outbox.last_code()
    step_two = _post(
        client,
        "/api/auth/login/verify/",
        {"otp_token": step_one.json()["otp_token"], "code": code},
    )
    assert step_two.status_code == 200, step_two.content
    assert "access" in step_two.json()


@pytest.mark.parametrize("phone", [None, "", "09121234567"], ids=["missing", "empty", "not-e164"])
def test_createsuperuser_refuses_an_admin_without_a_phone_codes_can_reach(monkeypatch, phone):
    options = {"email": "head@library.example"} | ({} if phone is None else {"phone": phone})
    monkeypatch.delenv("DJANGO_SUPERUSER_PHONE", raising=False)
    with pytest.raises(CommandError):
        _create_superuser(monkeypatch, **options)
    assert not User.objects.exists()
