"""Acceptance: staff use the admin in a real (headless Chromium) browser against a live server.

Each test saves a screenshot into the run's output folder (`TEST_OUTPUT_DIR`/screenshots).
"""

import json
import os
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan, User
from accounts.tests.browser import sign_in_to_admin
from accounts.tests.factories import PASSWORD, UserFactory, member
from accounts.tokens import RefreshToken
from catalog.tests.factories import BookFactory
from library_project.tests.outbox import outbox
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus
from reservations.services import reservation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    return UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """Login codes go to the in-memory SMS outbox, where the sign-in steps read them."""


@pytest.fixture
def admin_page(browser_page, live_server, staff):
    """The browser, signed in to the admin as staff through the login form."""
    sign_in_to_admin(browser_page, live_server.url, staff.email)
    return browser_page


@pytest.fixture
def busy_book():
    """One unit held by a member; a plus member queued first, a premium member queued later."""
    book = BookFactory(title="The Name of the Rose", total_units=1)
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    plus_waiter, premium_waiter = member(Plan.PLUS), member(Plan.PREMIUM)
    plus_entry = reservation_create(
        customer=plus_waiter, book_id=book.pk, days=2, now=timezone.now() - timedelta(hours=2)
    ).queue_entry
    premium_entry = reservation_create(customer=premium_waiter, book_id=book.pk, days=4).queue_entry
    return {"book": book, "reservation": held, "plus": plus_entry, "premium": premium_entry}


def screenshot(page, screenshot_dir: str, name: str) -> str:
    path = os.path.join(screenshot_dir, f"admin-{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


def api_status(live_server, access: str) -> int:
    request = urllib.request.Request(
        f"{live_server.url}/api/users/me/", headers={"Authorization": f"Bearer {access}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def success_text(page) -> str:
    return page.locator("ul.messagelist li.success").inner_text()


def error_text(page) -> str:
    return page.locator("ul.messagelist li.error").inner_text()


def test_staff_log_in_and_see_every_admin_section(admin_page, staff, screenshot_dir):
    page = admin_page
    for section in ["Users", "Customers", "Books", "Reservations", "Queue entries", "Wallets"]:
        assert page.get_by_role("link", name=section, exact=True).count() >= 1, section
    welcome = f"welcome, {staff.first_name}".lower()
    assert welcome in page.locator("#user-tools").inner_text().lower()
    screenshot(page, screenshot_dir, "index")


def test_staff_sign_in_with_their_password_and_the_code_texted_to_them(
    browser_page, live_server, staff, screenshot_dir
):
    page = browser_page
    page.goto(f"{live_server.url}/admin/accounts/customer/")
    page.wait_for_url(f"{live_server.url}/admin/login/?next=/admin/accounts/customer/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    screenshot(page, screenshot_dir, "login-password")
    page.click("input[type=submit]")

    page.wait_for_url(f"{live_server.url}/admin/login/code/**")
    assert "We texted a 6-digit code" in page.content()
    assert outbox.sms[-1].to == staff.phone
    code = outbox.last_code()
    page.fill("#id_code", f"{(int(code) + 1) % 1_000_000:06d}")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "The code is wrong. 4 attempts left." in page.locator("p.errornote").inner_text()
    page.fill("#id_code", code)
    screenshot(page, screenshot_dir, "login-code")
    page.click("input[type=submit]")

    page.wait_for_url(f"{live_server.url}/admin/accounts/customer/")
    assert staff.first_name.lower() in page.locator("#user-tools").inner_text().lower()
    screenshot(page, screenshot_dir, "login-done")


def test_too_many_wrong_passwords_show_the_throttles_message(
    browser_page, live_server, staff, screenshot_dir, settings
):
    # An hour's window, so that no window boundary falls inside the test.
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "5/h"}
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    for attempt in range(6):
        page.fill("#id_username", staff.email)
        page.fill("#id_password", f"Wr0ng!guess{attempt}")
        with page.expect_navigation():
            page.click("input[type=submit]")
    message = page.locator("p.errornote").inner_text()
    assert "Too many attempts. Try again in" in message
    screenshot(page, screenshot_dir, "login-throttled")

    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)  # the right password is refused too while throttled
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "Too many attempts. Try again in" in page.locator("p.errornote").inner_text()
    assert "/admin/login/code/" not in page.url and outbox.sms == []


def test_the_customer_list_shows_plan_balance_and_counts(
    admin_page, live_server, screenshot_dir, busy_book
):
    page = admin_page
    page.goto(f"{live_server.url}/admin/accounts/customer/?plan=premium")
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1
    text = row.first.inner_text()
    premium = busy_book["premium"].customer
    assert premium.user.email in text and "premium" in text
    assert "100000" in text  # the wallet, untouched while waiting
    assert page.locator("#result_list td.field-waiting_entries").first.inner_text() == "1"
    screenshot(page, screenshot_dir, "customers")


def test_revoking_a_members_tokens_makes_their_api_calls_answer_401(
    admin_page, live_server, screenshot_dir
):
    target = member().user
    access = str(RefreshToken.for_user(target).access_token)
    assert api_status(live_server, access) == 200

    page = admin_page
    page.goto(f"{live_server.url}/admin/accounts/user/?q={target.email}")
    page.get_by_role("link", name=target.email).click()
    page.get_by_role("link", name="Revoke all tokens").click()
    assert "Revoke every token of this account?" in page.content()
    screenshot(page, screenshot_dir, "revoke-confirmation")
    page.get_by_role("button", name="Yes, revoke all tokens").click()

    assert f"Revoked all tokens of {target.email}" in success_text(page)
    screenshot(page, screenshot_dir, "revoke-done")
    assert api_status(live_server, access) == 401
    assert User.objects.get(pk=target.pk).tokens_valid_after is not None


def test_revoking_an_admins_tokens_is_refused_and_changes_nothing(
    admin_page, live_server, screenshot_dir
):
    other_admin = UserFactory(email="second.admin@example.com", is_staff=True)
    access = str(RefreshToken.for_user(other_admin).access_token)

    page = admin_page
    page.goto(f"{live_server.url}/admin/accounts/user/?is_staff__exact=1")
    page.locator(f"input[name=_selected_action][value='{other_admin.pk}']").check()
    page.select_option("select[name=action]", "revoke_tokens")
    page.get_by_role("button", name="Go").click()
    assert "will be refused" in page.locator("#confirmation-items").inner_text()
    page.get_by_role("button", name="Yes, revoke all tokens").click()

    assert "The tokens of an admin cannot be revoked" in error_text(page)
    assert f"Nothing was changed for {other_admin.email}" in error_text(page)
    screenshot(page, screenshot_dir, "revoke-admin-refused")
    assert User.objects.get(pk=other_admin.pk).tokens_valid_after is None
    assert api_status(live_server, access) == 200


def test_a_book_page_shows_its_holders_and_its_queue_in_live_order(
    admin_page, live_server, screenshot_dir, busy_book
):
    page = admin_page
    page.goto(f"{live_server.url}/admin/catalog/book/{busy_book['book'].pk}/change/")
    holders = page.locator("#book-holders tr.holder-row")
    assert holders.count() == 1
    assert busy_book["reservation"].customer.user.email in holders.first.inner_text()
    rows = page.locator("#book-queue tr.queue-row")
    assert rows.count() == 2
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert busy_book["premium"].customer.user.email in first and "premium" in first
    assert busy_book["plus"].customer.user.email in second and "plus" in second
    screenshot(page, screenshot_dir, "book-holders-and-queue")


def test_ending_a_holders_reservation_makes_the_queue_head_a_holder(
    admin_page, live_server, screenshot_dir, busy_book
):
    page = admin_page
    book_url = f"{live_server.url}/admin/catalog/book/{busy_book['book'].pk}/change/"
    page.goto(book_url)
    page.locator("#book-holders tr.holder-row").first.get_by_role("link", name="End now").click()
    assert "End this reservation now?" in page.content()
    screenshot(page, screenshot_dir, "end-confirmation")
    page.get_by_role("button", name="Yes, end it now").click()

    page.wait_for_url(book_url)
    assert f"Ended reservation #{busy_book['reservation'].pk}" in success_text(page)
    premium_email = busy_book["premium"].customer.user.email
    assert premium_email in page.locator("#book-holders").inner_text()
    queue = page.locator("#book-queue tr.queue-row")
    assert queue.count() == 1 and premium_email not in queue.first.inner_text()
    screenshot(page, screenshot_dir, "end-done")

    ended = Reservation.objects.get(pk=busy_book["reservation"].pk)
    assert ended.status == ReservationStatus.ENDED_BY_ADMIN
    assert QueueEntry.objects.get(pk=busy_book["premium"].pk).status == QueueStatus.FULFILLED


def test_removing_a_waiter_takes_them_off_the_queue(
    admin_page, live_server, screenshot_dir, busy_book
):
    page = admin_page
    book_url = f"{live_server.url}/admin/catalog/book/{busy_book['book'].pk}/change/"
    plus_email = busy_book["plus"].customer.user.email
    page.goto(book_url)
    page.locator("#book-queue tr.queue-row", has_text=plus_email).get_by_role(
        "link", name="Remove"
    ).click()
    assert "Take this member off the book" in page.content()
    page.get_by_role("button", name="Yes, remove").click()

    page.wait_for_url(book_url)
    assert f"Removed {plus_email} from the queue" in success_text(page)
    assert plus_email not in page.locator("#book-queue").inner_text()
    assert page.locator("#book-queue tr.queue-row").count() == 1
    screenshot(page, screenshot_dir, "remove-done")
    assert QueueEntry.objects.get(pk=busy_book["plus"].pk).status == QueueStatus.REMOVED_BY_ADMIN
