"""Test-wide setup: markers for the real services, and one switch for CI (never skip there)."""

import os
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from accounts.tests.factories import AdminFactory
from library_project.tests.outbox import outbox as _outbox

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and not settings.IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if (
        item.get_closest_marker("redis") or item.get_closest_marker("celery_worker")
    ) and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and this test {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a test client's request in Persian leaves Persian
    active in the thread after it (LocaleMiddleware activates a language and never resets it)."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow by design; tests use a fast hasher (production keeps Argon2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _one_throttle_window(monkeypatch):
    """The auth throttles count in fixed windows of the clock; a test sees the clock stand at the
    moment it started, so a run that crosses a window's edge cannot split its attempts in two."""
    started = time.time()
    monkeypatch.setattr("accounts.throttling.time", SimpleNamespace(time=lambda: started))


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def outbox(settings):
    """SMS and email go to in-memory outboxes, emptied for the test; read them through this."""
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _outbox.clear()
    return _outbox


@pytest.fixture
def staff_client(client):
    """A browser session of a superuser, for the admin pages."""
    client.force_login(AdminFactory())
    return client


CHROMIUM = "/usr/bin/chromium"
TEST_OUTPUT_DIR = os.environ.get("TEST_OUTPUT_DIR", os.path.join(settings.BASE_DIR, "test-output"))


@pytest.fixture
def screenshot_dir():
    """Where browser tests save their screenshots (`TEST_OUTPUT_DIR`, default ./test-output)."""
    path = os.path.join(TEST_OUTPUT_DIR, "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def browser_page(monkeypatch):
    """A Playwright page in Debian's headless Chromium (installed by .ci/setup-system.sh)."""
    if not os.path.exists(CHROMIUM):
        reason = f"needs Debian's chromium at {CHROMIUM} (bash .ci/setup-system.sh)"
        if IN_CI:
            pytest.fail(f"CI=true and this test {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body
    # are still synchronous. Scoped to the test: a leaked value would fail `check --deploy` later.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def tasks_in_process():
    """Deliver notifications in this process even when REDIS_URL points Celery at a broker."""
    from library_project.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
