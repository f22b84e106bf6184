"""Acceptance: the API's docs (Swagger UI and ReDoc) render every operation with the network cut off."""

import os
from urllib.parse import urlsplit

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.tests.browser import sign_in_to_admin
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """Login codes go to the in-memory SMS outbox, where the sign-in steps read them."""


@pytest.fixture
def offline_page(browser_page, live_server):
    """A staff browser (the docs need an admin session outside DEBUG) that can reach only the
    live server: every other request is aborted and remembered."""
    own = urlsplit(live_server.url).netloc
    refused = []

    def only_our_server(route):
        if urlsplit(route.request.url).netloc == own:
            return route.continue_()
        refused.append(route.request.url)
        return route.abort("internetdisconnected")

    browser_page.route("**/*", only_our_server)
    staff = UserFactory(email="docs@example.com", is_staff=True, is_superuser=True)
    sign_in_to_admin(browser_page, live_server.url, staff.email)
    browser_page.refused = refused
    return browser_page


def operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


# ReDoc's menu footer shows the Redocly logo from its CDN and hides it when it cannot load.
REDOC_FOOTER_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_swagger_ui_renders_every_operation_offline(offline_page, live_server, screenshot_dir):
    page = offline_page
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == len(operation_ids())
    assert page.locator(".opblock-summary-path", has_text="/api/reservations/quote/").count() == 1
    page.screenshot(
        path=os.path.join(screenshot_dir, "api-docs-swagger-offline.png"), full_page=True
    )
    assert page.refused == []


def test_redoc_renders_every_operation_offline(offline_page, live_server, screenshot_dir):
    page = offline_page
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("[data-section-id]", timeout=20_000)
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll(\"[data-section-id^='operation/']\"),"
        " e => e.getAttribute('data-section-id').slice('operation/'.length))"
    )
    assert sorted(shown) == sorted(operation_ids())
    page.screenshot(path=os.path.join(screenshot_dir, "api-docs-redoc-offline.png"))
    assert set(page.refused) <= {REDOC_FOOTER_LOGO}
