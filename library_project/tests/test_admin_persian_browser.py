"""Acceptance: staff whose browser asks for Persian get the admin right-to-left, in Persian, with
Jalali dates in Tehran time (headless Chromium against a live server; screenshots saved)."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from accounts.tests.browser import sign_in_to_admin
from accounts.tests.factories import CustomerFactory, MembershipFactory, UserFactory, member
from catalog.tests.factories import BookFactory
from core.l10n import local_datetime
from reservations.services import reservation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 20 March 2026 21:00 UTC is already 1 Farvardin 1405 (Nowruz), 00:30 in Tehran.
NOWRUZ_EVE = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)


@pytest.fixture
def persian_admin(browser_page, live_server, outbox):
    browser_page.set_extra_http_headers({"Accept-Language": "fa-IR,fa;q=0.9"})
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    sign_in_to_admin(browser_page, live_server.url, staff.email)
    return browser_page


def test_the_admin_reads_right_to_left_in_persian_with_jalali_dates(
    persian_admin, live_server, screenshot_dir
):
    page = persian_admin
    MembershipFactory(
        customer=CustomerFactory(user__email="sara@example.com"), starts_at=NOWRUZ_EVE
    )

    page.goto(f"{live_server.url}/admin/accounts/membership/")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    row = page.locator("#result_list tbody tr").first
    assert "۱۴۰۵/۰۱/۰۱ ساعت ۰۰:۳۰ به وقت تهران" in row.inner_text()
    with translation.override("fa"):
        assert local_datetime(NOWRUZ_EVE) in row.inner_text()
    assert "2026" not in row.inner_text()
    assert page.locator("#site-name").inner_text() != ""
    assert "اضافه کردن" in page.locator("body").inner_text()  # Django's own Persian for "Add"
    page.screenshot(path=f"{screenshot_dir}/admin-persian-memberships.png", full_page=True)


def test_an_english_browser_keeps_the_admin_left_to_right_and_gregorian(
    browser_page, live_server, outbox, screenshot_dir
):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    MembershipFactory(customer=CustomerFactory(), starts_at=NOWRUZ_EVE)
    browser_page.set_extra_http_headers({"Accept-Language": "en"})
    sign_in_to_admin(browser_page, live_server.url, staff.email)

    browser_page.goto(f"{live_server.url}/admin/accounts/membership/")

    assert browser_page.locator("html").get_attribute("dir") == "ltr"
    row = browser_page.locator("#result_list tbody tr").first.inner_text()
    assert "March 20, 2026" in row
    assert "۱۴۰۵" not in row


def test_a_books_holders_show_their_loan_in_jalali_dates(
    persian_admin, live_server, screenshot_dir
):
    page = persian_admin
    book = BookFactory(title="Rumi's Masnavi", total_units=1)
    loan = reservation_create(customer=member(), book_id=book.pk, days=3).reservation

    page.goto(f"{live_server.url}/admin/catalog/book/{book.pk}/change/")

    holders = page.locator("#book-holders").inner_text()
    with translation.override("fa"):
        assert local_datetime(loan.starts_at) in holders
        assert local_datetime(loan.ends_at) in holders
    assert "UTC" not in holders
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.screenshot(path=f"{screenshot_dir}/admin-persian-book-holders.png", full_page=True)
