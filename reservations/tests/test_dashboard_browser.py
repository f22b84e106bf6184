"""Acceptance: staff open the dashboard and the holds-ratio report in a real (headless Chromium)
browser against a live server; the figures shown match the database. Screenshots are saved into
the run's output folder (`TEST_OUTPUT_DIR`/screenshots)."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Plan
from accounts.tests.browser import sign_in_to_admin
from accounts.tests.factories import CustomerFactory, UserFactory, member
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind
from purchasing.services import wallet_debit
from reservations.dashboard import dashboard_figures, holds_ratio_report
from reservations.models import QueueEntry
from reservations.services import queue_suspend, reservation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = ["The Name of the Rose", "Invisible Cities", "The Blind Owl", "Rumi: Masnavi", "Kafka"]


@pytest.fixture
def library():
    """A few weeks of activity: loans on several days, crowded queues, fees and a suspension."""
    now = timezone.now()
    books = [BookFactory(title=t, total_units=1 + i % 3) for i, t in enumerate(TITLES)]
    for days_ago in [0, 1, 1, 3, 6, 6, 6, 9, 14, 20, 27]:
        customer = member(Plan.PREMIUM, balance=50_000)
        customer.memberships.update(
            starts_at=now - timedelta(days=40), ends_at=now + timedelta(days=20)
        )
        book = BookFactory(title=f"Loan {days_ago}", total_units=1)
        reservation_create(
            customer=customer, book_id=book.pk, days=14, now=now - timedelta(days=days_ago)
        )
    for book, waiting in zip(books, [7, 8, 9, 4, 1], strict=True):
        for _ in range(book.total_units):
            reservation_create(customer=member(), book_id=book.pk, days=5)
        for i in range(waiting):
            QueueEntry.objects.create(
                customer=CustomerFactory(), book=book, days=3, queued_at=now + timedelta(seconds=i)
            )
    waiter = member()
    entry = reservation_create(customer=waiter, book_id=books[0].pk, days=2).queue_entry
    queue_suspend(customer=waiter, entry_id=entry.pk, until=now + timedelta(days=4))
    payer = member(balance=300_000)
    wallet_debit(customer_id=payer.pk, amount=200_000, kind=TransactionKind.MEMBERSHIP_FEE)
    member(Plan.FREE)
    return books


@pytest.fixture
def admin_page(browser_page, live_server):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    sign_in_to_admin(browser_page, live_server.url, staff.email)
    return browser_page


def figure(page, name: str) -> int:
    return int(page.locator(f"[data-figure='{name}']").inner_text().replace(",", ""))


def test_staff_open_the_dashboard_and_the_holds_report_and_see_the_databases_figures(
    admin_page, live_server, library, screenshot_dir
):
    page = admin_page
    page.screenshot(path=os.path.join(screenshot_dir, "dashboard-admin-index.png"), full_page=True)
    page.click("#dashboard-module caption a")
    page.wait_for_url(f"{live_server.url}/admin/dashboard/")
    page.screenshot(path=os.path.join(screenshot_dir, "dashboard.png"), full_page=True)

    expected = dashboard_figures()
    assert (
        figure(page, "active_loans") == expected.active_loans == 8 + 9
    )  # 3 loans started 14+ days ago are over
    assert figure(page, "waiting_entries") == expected.waiting_entries == 30
    assert figure(page, "suspended_entries") == expected.suspended_entries == 1
    for plan, count in expected.members_per_plan.items():
        assert figure(page, f"plan_{plan}") == count
    assert figure(page, "revenue_net") == expected.revenue.net
    assert figure(page, "membership_fees") == 200_000
    bars = page.locator("#reservations-chart rect.bar")
    assert bars.count() == 30
    shown = [int(bars.nth(i).get_attribute("data-count")) for i in range(30)]
    assert shown == [d.count for d in expected.reservations_per_day]

    page.click("#dashboard-reports a.viewlink")
    page.wait_for_url(f"{live_server.url}/admin/dashboard/holds/")
    page.screenshot(path=os.path.join(screenshot_dir, "dashboard-holds-report.png"), full_page=True)
    rows = page.locator("#result_list tbody tr")
    expected_rows = list(holds_ratio_report())
    assert rows.count() == len(expected_rows) == 3
    for i, book in enumerate(expected_rows):
        row = rows.nth(i)
        assert row.locator("th a").inner_text() == book.title
        assert int(row.locator("[data-col=waiting]").inner_text()) == book.waiting
        assert int(row.locator("[data-col=extra]").inner_text()) == book.extra_copies

    page.fill("#id_threshold", "1.5")
    page.click("#report-form input[type=submit]")
    page.wait_for_url("**threshold=1.5**")
    assert rows.count() == len(list(holds_ratio_report(threshold=Decimal("1.5"))))
    page.click("#result_list thead th:has-text('Extra copies') a")
    page.wait_for_url("**o=-extra**")
    page.screenshot(
        path=os.path.join(screenshot_dir, "dashboard-holds-report-sorted.png"), full_page=True
    )
    extras = [int(t) for t in page.locator("[data-col=extra]").all_inner_texts()]
    assert extras == sorted(extras, reverse=True)

    page.goto(f"{live_server.url}/admin/dashboard/holds/?threshold=nonsense")
    assert "not valid" in page.locator("#report-error").inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "dashboard-holds-report-bad-threshold.png"),
        full_page=True,
    )
