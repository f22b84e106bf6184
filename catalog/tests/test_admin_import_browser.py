"""Acceptance: a librarian imports a catalog file in the admin in a real (headless Chromium)
browser against a live server: upload, preview, confirm, and the books are in the book list.

Screenshots go to the run's output folder (`TEST_OUTPUT_DIR`/screenshots), named admin-import-*.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.tests.browser import sign_in_to_admin
from catalog.models import Book, ImportJob
from catalog.tests.factories import isbn13
from catalog.tests.import_files import IMPORTER, marc_record
from library_project.tests.security_world import staff_with_permissions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOKS = ["Savushun", "The Blind Owl", "My Uncle Napoleon"]
# The shipped sample: eleven MARC 21 records, three of them refused (no ISBN, an invalid ISBN,
# an ISBN repeated), a Persian title among the rest.
SAMPLE = Path(django_settings.BASE_DIR) / "fixtures" / "catalog" / "sample.mrc"
SAMPLE_TITLES = ["Savushun", "بوف کور", "Cien años de soledad", "Les Misérables : roman"]


@pytest.fixture(autouse=True)
def _media_and_messages(settings, tmp_path, outbox):
    """Uploads go to the test's own folder; login codes to the in-memory SMS outbox."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalog_file(tmp_path) -> str:
    """Three new books and one record without an ISBN, as a MARC 21 file."""
    records = [marc_record(isbn13(n + 1), title, copies=2) for n, title in enumerate(BOOKS)]
    records.insert(2, marc_record(None, "A record without an ISBN"))
    path = tmp_path / "koha-export.mrc"
    path.write_bytes(b"".join(record.as_marc() for record in records))
    return str(path)


@pytest.fixture
def librarian_page(browser_page, live_server):
    """Signed in as staff who may add and change books, and nothing more."""
    librarian = staff_with_permissions(*IMPORTER)
    sign_in_to_admin(browser_page, live_server.url, librarian.email)
    return browser_page


def screenshot(page, screenshot_dir: str, name: str) -> None:
    page.screenshot(path=os.path.join(screenshot_dir, f"admin-import-{name}.png"), full_page=True)


def counts_on(page) -> dict[str, str]:
    cards = page.locator("#import-counts li")
    return {
        cards.nth(i).get_attribute("data-action"): cards.nth(i).locator(".figure").inner_text()
        for i in range(cards.count())
    }


def test_a_librarian_uploads_previews_and_confirms_and_the_books_appear(
    librarian_page, live_server, screenshot_dir
):
    page = librarian_page
    page.goto(f"{live_server.url}/admin/catalog/book/")
    page.get_by_role("link", name="Import catalog").click()
    page.wait_for_url(f"{live_server.url}/admin/catalog/book/import/")
    page.set_input_files("#id_file", str(SAMPLE))
    screenshot(page, screenshot_dir, "upload")
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()

    preview = ImportJob.objects.get()
    assert page.url == f"{live_server.url}/admin/catalog/book/import/{preview.pk}/"
    assert {k: v for k, v in counts_on(page).items() if v != "0"} == {"create": "8", "refuse": "3"}
    refused = page.locator("#import-outcomes tr.action-refuse")
    assert refused.count() == 3
    assert "no ISBN (020)" in refused.first.inner_text()
    assert "duplicate ISBN in the file (record 3)" in refused.nth(2).inner_text()
    assert Book.objects.count() == 0
    screenshot(page, screenshot_dir, "preview")

    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and import").click()
    assert "Confirmed: import job" in page.locator("ul.messagelist li.success").inner_text()
    assert page.locator("#import-job").get_attribute("data-state") == "done"
    assert "Imported (11 records)" in page.content()
    assert counts_on(page)["create"] == "8"
    screenshot(page, screenshot_dir, "applied")

    page.get_by_role("link", name="See the books").click()
    page.wait_for_url(f"{live_server.url}/admin/catalog/book/")
    listed = page.locator("#result_list").inner_text()
    for title in SAMPLE_TITLES:
        assert title in listed, title
    assert "Rubáiyát" not in listed
    screenshot(page, screenshot_dir, "books-listed")
    assert Book.objects.count() == 8


def test_a_file_of_unknown_format_is_refused_on_the_form(
    librarian_page, live_server, screenshot_dir, tmp_path
):
    document = tmp_path / "catalog.pdf"
    document.write_bytes(b"%PDF-1.4 not a catalog")
    page = librarian_page
    page.goto(f"{live_server.url}/admin/catalog/book/import/")
    page.set_input_files("#id_file", str(document))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    assert "cannot be told from its name" in page.locator("ul.errorlist").inner_text()
    screenshot(page, screenshot_dir, "unknown-format")
    assert not ImportJob.objects.exists()


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_a_large_file_shows_its_progress_until_a_worker_has_read_it(
    librarian_page, live_server, screenshot_dir, catalog_file, settings
):
    """Queued while no worker runs (the page says so and reloads itself), then read by a real
    worker through the Redis broker; the page reaches the preview by itself."""
    from celery.contrib.testing.worker import start_worker

    from library_project.celery import app

    settings.CATALOG_IMPORT_INLINE_BYTES = 1
    page = librarian_page
    page.goto(f"{live_server.url}/admin/catalog/book/import/")
    page.set_input_files("#id_file", catalog_file)
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    assert "Waiting for a worker" in page.locator("#import-progress").inner_text()
    assert "refreshes itself" in page.content()
    screenshot(page, screenshot_dir, "queued")

    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            page.wait_for_selector("#import-job[data-state=done]", timeout=60_000)
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age
    assert page.get_by_role("button", name="Confirm and import").is_visible()
    screenshot(page, screenshot_dir, "queued-then-previewed")
