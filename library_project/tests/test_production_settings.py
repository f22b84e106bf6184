"""Production hardening: `check --deploy` is clean, docs need an admin, Argon2, no secret in git."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

import library_project.settings as production_settings
from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory
from library_project.tests.security_world import client_for
from purchasing.checks import development_gateway_deploy_check
from purchasing.gateways import DevelopmentGateway

ROOT = Path(settings.BASE_DIR)


def _production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_TESTING"}}
    return {
        **env,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PAYMENT_GATEWAY": "purchasing.gateways.WebhookGateway",
        "PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "SMS_BACKEND": "accounts.sms.KavenegarSmsBackend",
        "KAVENEGAR_API_KEY": secrets.token_hex(16),
        "KAVENEGAR_LOGIN_TEMPLATE": "library-login",
        **extra,
    }


def test_check_deploy_with_production_settings_prints_no_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr.upper(), result.stderr


def test_check_deploy_reports_the_development_gateway_even_when_it_is_allowed():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(
            PAYMENT_GATEWAY="purchasing.gateways.DevelopmentGateway",
            ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION="true",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "(purchasing.E002)" in result.stderr, result.stdout + result.stderr


ZARINPAL_LIVE = {
    "PAYMENT_GATEWAY": "purchasing.gateways.ZarinpalGateway",
    "PAYMENT_WEBHOOK_SECRET": "",
    "ZARINPAL_MERCHANT_ID": "1344b5d4-0048-11e8-94db-005056a205be",
    "ZARINPAL_CALLBACK_URL": "https://library.example/api/payments/zarinpal/callback/",
}


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, None),
        ({"ZARINPAL_MERCHANT_ID": ""}, "purchasing.E003"),
        ({"ZARINPAL_SANDBOX": "true"}, "purchasing.E004"),
    ],
)
def test_check_deploy_on_zarinpal_needs_a_merchant_id_and_the_live_host(env, error):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(**{**ZARINPAL_LIVE, **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if error is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0
        assert f"({error})" in result.stderr, result.stdout + result.stderr
    assert ZARINPAL_LIVE["ZARINPAL_MERCHANT_ID"] not in result.stdout + result.stderr


@pytest.mark.parametrize("allowed", [False, True])
def test_the_deploy_check_flags_the_development_gateway_and_its_subclasses(settings, allowed):
    settings.ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION = allowed
    assert [m.id for m in development_gateway_deploy_check(None)] == ["purchasing.E002"]
    settings.PAYMENT_GATEWAY = f"{__name__}.RenamedDevelopmentGateway"
    assert [m.id for m in development_gateway_deploy_check(None)] == ["purchasing.E002"]
    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    assert development_gateway_deploy_check(None) == []


class RenamedDevelopmentGateway(DevelopmentGateway):
    """A development gateway under another import path still collects nothing."""


def test_production_settings_turn_on_https_and_secure_cookies():
    probe = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER, s.LOG_FORMAT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=_production_env(DJANGO_SETTINGS_MODULE="library_project.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "json",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_api_docs_need_an_admin_session_when_debug_is_off(path):
    assert settings.DEBUG is False
    assert APIClient().get(path).status_code == 401
    assert client_for(UserFactory()).get(path).status_code == 403
    member_session = APIClient()
    member_session.force_login(UserFactory())
    assert member_session.get(path).status_code == 403
    admin_session = APIClient()
    admin_session.force_login(AdminFactory())
    assert admin_session.get(path).status_code == 200


@pytest.mark.django_db
def test_a_new_users_password_is_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS  # tests use a fast hasher
    response = APIClient().post(
        "/api/auth/signup/",
        {
            "email": "hashed@example.com",
            "phone": "+989990002233",
            "password": "Fresh!Passw0rd-42",
            "first_name": "Hash",
            "last_name": "Tested",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="hashed@example.com")
    assert user.password.startswith("argon2$")
    assert "Fresh!Passw0rd-42" not in user.password
    assert user.check_password("Fresh!Passw0rd-42")


# --- no secret in the repository ------------------------------------------------------------------

SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # cloud access key ids
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # code-hosting tokens
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),  # chat bot tokens
    re.compile(r"\bsk_live_[A-Za-z0-9]{16,}"),  # payment provider live keys
    # A secret-looking name assigned a long literal: SECRET_KEY = "....", api_key: '....'
    re.compile(
        r"(?i)\b(secret_key|signing_key|api_key|webhook_secret|access_token|private_key|"
        r"client_secret)\b\s*[:=]\s*[\"'][A-Za-z0-9+/=_\-]{16,}[\"']"
    ),
]
# Test code and sample data hold made-up credentials on purpose; they are not secrets.
NOT_SCANNED = re.compile(r"(^|/)tests?/|(^|/)test_[^/]*\.py$|^fixtures/|\.lock$")


def _tracked_files() -> list[Path]:
    result = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [ROOT / name for name in result.stdout.split("\0") if name]


def test_no_secret_is_committed_to_the_repository():
    files = _tracked_files()
    assert files, "git ls-files found nothing"
    assert not [f for f in files if f.name == ".env" or f.suffix in {".pem", ".key", ".p12"}]
    hits = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if NOT_SCANNED.search(relative) or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        hits += [
            f"{relative}: {m.group(0)[:40]}" for p in SECRET_PATTERNS for m in p.finditer(text)
        ]
    assert hits == []


def test_the_secret_scanner_finds_what_it_is_meant_to_find():
    fake_key = "-----BEGIN RSA " + "PRIVATE KEY-----"
    fake_assignment = 'SECRET_KEY = "' + "q8Zr2LkP9vX4mN7bT1sW" + '"'
    assert any(p.search(fake_key) for p in SECRET_PATTERNS)
    assert any(p.search(fake_assignment) for p in SECRET_PATTERNS)
    assert not any(
        p.search('SECRET_KEY = env.str("SECRET_KEY", default="")') for p in SECRET_PATTERNS
    )
