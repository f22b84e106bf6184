"""The admin's "Import catalog" pages: who may use them, the upload's errors, the preview, the
confirmation (once), and a large file's run through Celery with its progress and report."""

import csv
import io
import re
import time
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.importing.formats import format_of
from catalog.importing.jobs import import_job_run
from catalog.models import Book, ImportJob
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13
from catalog.tests.import_files import IMPORTER, marc_file, marc_record
from library_project.tests.security_world import staff_with_permissions

pytestmark = pytest.mark.django_db

START = reverse("admin-catalog-import")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files and reports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored_book():
    return BookFactory(
        isbn=isbn13(1),
        title="Savushun",
        genre=GenreFactory(name="Novel"),
        published_year=1969,
        total_units=1,
        available_units=1,
        authors=[AuthorFactory(name="Daneshvar, Simin")],
    )


def mixed_file() -> SimpleUploadedFile:
    """Record 1 matches the stored book, 2 and 4 are new, 3 has no ISBN, 5 repeats record 2."""
    return marc_file(
        marc_record(isbn13(1), "Savushun"),
        marc_record(isbn13(2), "The Blind Owl", copies=2),
        marc_record(None, "No ISBN here"),
        marc_record(isbn13(4), "My Uncle Napoleon"),
        marc_record(isbn13(2), "The Blind Owl again"),
    )


@pytest.fixture
def importer_client(client):
    client.force_login(staff_with_permissions(*IMPORTER))
    return client


def upload(client, file, fmt: str = ""):
    return client.post(START, {"file": file, "format": fmt})


def job_url(job: ImportJob) -> str:
    return reverse("admin-catalog-import-job", args=[job.pk])


def confirm_url(job: ImportJob) -> str:
    return reverse("admin-catalog-import-confirm", args=[job.pk])


def report_of(client, job: ImportJob) -> list[list[str]]:
    response = client.get(reverse("admin-catalog-import-report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def messages_of(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def previewed(client, stored_book) -> ImportJob:
    response = upload(client, mixed_file())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    return job


# --- who may import ----------------------------------------------------------------------------


def import_urls(job: ImportJob) -> list[tuple[str, str]]:
    return [
        ("get", START),
        ("post", START),
        ("get", job_url(job)),
        ("post", confirm_url(job)),
        ("get", reverse("admin-catalog-import-report", args=[job.pk])),
    ]


@pytest.mark.parametrize(
    "granted", [(), ("catalog.add_book",), ("catalog.change_book",), ("catalog.view_book",)]
)
def test_staff_without_both_book_permissions_get_403_on_every_import_url(
    client, stored_book, granted
):
    owner = Client()
    owner.force_login(staff_with_permissions(*IMPORTER))
    job = previewed(owner, stored_book)
    client.force_login(staff_with_permissions(*granted))
    for method, url in import_urls(job):
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert ImportJob.objects.count() == 1
    assert not Book.objects.filter(isbn=isbn13(2)).exists()


def test_members_and_visitors_are_sent_to_the_admin_login(client, stored_book):
    owner = Client()
    owner.force_login(staff_with_permissions(*IMPORTER))
    job = previewed(owner, stored_book)
    for user in (None, UserFactory()):
        if user is not None:
            client.force_login(user)
        for method, url in import_urls(job):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (user, method, url)
            assert response["Location"].startswith("/admin/login/")
    assert not ImportJob.objects.filter(mode=ImportJob.Mode.APPLY).exists()


def test_the_book_list_links_to_the_import_only_for_staff_who_may_import(client):
    link = 'class="import-catalog-link"'
    client.force_login(staff_with_permissions(*IMPORTER))
    assert link in client.get(reverse("admin:catalog_book_changelist")).content.decode()
    client.force_login(staff_with_permissions("catalog.change_book"))
    page = client.get(reverse("admin:catalog_book_changelist"))
    assert page.status_code == 200 and link not in page.content.decode()


def test_a_post_without_the_csrf_token_is_refused(stored_book):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_with_permissions(*IMPORTER))
    assert upload(client, mixed_file()).status_code == 403
    assert not ImportJob.objects.exists()


def test_another_importers_job_can_be_seen_and_confirmed(importer_client, stored_book):
    job = previewed(importer_client, stored_book)
    colleague = Client()
    colleague.force_login(staff_with_permissions(*IMPORTER))
    assert colleague.get(job_url(job)).status_code == 200
    assert colleague.post(confirm_url(job)).status_code == 302
    assert Book.objects.filter(isbn=isbn13(2)).exists()


# --- the upload's errors -----------------------------------------------------------------------


def form_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


@pytest.mark.parametrize(
    ("file", "fmt", "field", "message"),
    [
        (SimpleUploadedFile("books.pdf", b"%PDF-1.4"), "", "format", "cannot be told"),
        (SimpleUploadedFile("books", b"x"), "", "format", "cannot be told"),
        (SimpleUploadedFile("books.mrc", b""), "", "file", "empty"),
        (SimpleUploadedFile("books.mrc", b"x"), "pdf", "format", "Select a valid choice"),
        (None, "", "file", "required"),
    ],
)
def test_a_bad_upload_is_answered_with_a_form_error_and_keeps_nothing(
    importer_client, _media, file, fmt, field, message
):
    response = importer_client.post(START, {"format": fmt, **({"file": file} if file else {})})
    errors = form_errors(response)
    assert message in " ".join(errors[field])
    assert not ImportJob.objects.exists()
    assert not _media.exists() or not any(_media.rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused(importer_client, settings, stored_book):
    settings.CATALOG_IMPORT_MAX_BYTES = 100
    errors = form_errors(upload(importer_client, mixed_file()))
    assert "the largest accepted is 100" in errors["file"][0]
    assert not ImportJob.objects.exists()


def test_a_corrupt_file_is_a_failed_preview_that_cannot_be_confirmed(importer_client):
    response = upload(importer_client, SimpleUploadedFile("books.xml", b"<collection><record>"))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.state == ImportJob.State.FAILED and job.finished_at is not None
    page = importer_client.get(job_url(job)).content.decode()
    assert 'id="import-error"' in page and "The file could not be read past record 0" in page
    assert 'id="confirm-form"' not in page

    response = importer_client.post(confirm_url(job))
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert messages_of(response) == ["The preview failed, so there is nothing to apply."]
    assert not ImportJob.objects.filter(mode=ImportJob.Mode.APPLY).exists()


def test_a_file_read_in_the_wrong_format_is_reported_not_imported(importer_client, stored_book):
    upload(importer_client, mixed_file(), fmt="marcxml")
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    assert importer_client.post(confirm_url(job)).status_code == 302
    assert Book.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "expected"),
    [
        ("get", "", 404),
        ("get", "report.csv", 404),
        ("post", "confirm/", 404),
        ("get", "confirm/", 405),  # the method is checked before the job
        ("post", "", 405),
    ],
)
def test_a_forged_job_id_is_answered_4xx(importer_client, method, suffix, expected):
    url = f"{START}987654/{suffix}"
    assert getattr(importer_client, method)(url).status_code == expected
    # Not a job's number: the book admin's own "no such book" redirect answers it.
    assert importer_client.get(f"{START}x/", follow=True).status_code == 200


@pytest.mark.parametrize(
    ("name", "records", "refused"),
    [("sample.mrc", 11, 3), ("sample.xml", 10, 3), ("sample.csv", 9, 2), ("sample.xlsx", 9, 2)],
)
def test_each_shipped_sample_is_previewed_in_the_format_its_name_tells(
    importer_client, settings, name, records, refused
):
    content = (Path(settings.BASE_DIR) / "fixtures" / "catalog" / name).read_bytes()
    upload(importer_client, SimpleUploadedFile(name, content))
    job = ImportJob.objects.get()
    assert job.format == format_of(name) and job.state == ImportJob.State.DONE, job.error
    assert job.records_done == records and job.counts["refuse"] == refused


# --- preview and confirmation ------------------------------------------------------------------


def test_the_preview_counts_each_action_and_lists_refused_records_first(
    importer_client, stored_book
):
    job = previewed(importer_client, stored_book)
    assert job.mode == ImportJob.Mode.PREVIEW and job.state == ImportJob.State.DONE
    assert job.records_done == 5
    assert {a: n for a, n in job.counts.items() if n} == {"create": 2, "unchanged": 1, "refuse": 2}
    assert Book.objects.count() == 1  # a preview writes no book

    page = importer_client.get(job_url(job))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="confirm-form"' in html and '<meta http-equiv="refresh"' not in html
    numbers = [row[0] for row in job.shown]
    assert numbers[:2] == ["3", "5"] and sorted(numbers[2:]) == ["1", "2", "4"]
    assert "duplicate ISBN in the file (record 2)" in html
    assert re.search(r'data-action="refuse"><span class="figure">2<', html)


def test_the_page_shows_a_capped_table_and_the_csv_has_every_record(
    importer_client, stored_book, monkeypatch
):
    monkeypatch.setattr("catalog.importing.jobs.SHOWN_ROWS", 2)
    job = previewed(importer_client, stored_book)
    assert [row[0] for row in job.shown] == ["3", "5"]
    assert "Showing 2 of 5 records" in importer_client.get(job_url(job)).content.decode()
    rows = report_of(importer_client, job)
    assert rows[0] == ["number", "isbn", "title", "action", "reasons"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert rows[3][3] == "refuse" and rows[3][4] == "no ISBN (020)"


def test_confirming_applies_the_stored_file_and_creates_the_books(importer_client, stored_book):
    preview = previewed(importer_client, stored_book)
    response = importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    assert response.status_code == 302 and response["Location"] == job_url(applying)
    assert applying.preview == preview and applying.source.name == preview.source.name
    assert applying.state == ImportJob.State.DONE and applying.records_done == 5
    assert set(Book.objects.values_list("isbn", flat=True)) == {isbn13(1), isbn13(2), isbn13(4)}
    assert Book.objects.get(isbn=isbn13(2)).title == "The Blind Owl"

    html = importer_client.get(job_url(preview)).content.decode()
    assert f'Confirmed as <a href="{job_url(applying)}">import job #{applying.pk}' in html
    assert 'id="confirm-form"' not in html
    assert [row[3] for row in report_of(importer_client, applying)[1:]] == [
        "unchanged",
        "create",
        "refuse",
        "create",
        "refuse",
    ]


def test_confirming_twice_imports_once_and_says_so(importer_client, stored_book):
    preview = previewed(importer_client, stored_book)
    importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    books = Book.objects.count()

    again = importer_client.post(confirm_url(preview))
    assert again.status_code == 302 and again["Location"] == job_url(applying)
    assert messages_of(again)[-1:] == [
        f"This preview was already confirmed (import job #{applying.pk}); "
        "nothing was imported again."
    ]
    assert ImportJob.objects.filter(mode=ImportJob.Mode.APPLY).count() == 1
    assert Book.objects.count() == books


def test_an_apply_job_cannot_itself_be_confirmed(importer_client, stored_book):
    preview = previewed(importer_client, stored_book)
    importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    response = importer_client.post(confirm_url(applying))
    assert response.status_code == 302
    assert "only a preview is confirmed" in messages_of(response)[-1]
    assert ImportJob.objects.count() == 2


def test_a_preview_still_running_cannot_be_confirmed(importer_client, stored_book, settings):
    settings.CATALOG_IMPORT_INLINE_BYTES = 1  # queued for a worker; without one it stays queued
    upload(importer_client, mixed_file())
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.QUEUED
    response = importer_client.post(confirm_url(job))
    assert messages_of(response) == ["The preview has not finished yet."]
    assert ImportJob.objects.count() == 1


def test_the_upload_page_lists_recent_jobs_in_a_fixed_number_of_queries(
    importer_client, stored_book, django_assert_max_num_queries
):
    for _ in range(3):
        upload(importer_client, mixed_file())
    with django_assert_max_num_queries(8):
        page = importer_client.get(START)
    assert page.content.decode().count("catalog.mrc") == 3


# --- a large file, through Celery --------------------------------------------------------------


def test_a_large_file_runs_as_a_task_and_its_page_shows_the_outcome(
    importer_client, stored_book, settings, tasks_in_process, django_capture_on_commit_callbacks
):
    settings.CATALOG_IMPORT_INLINE_BYTES = 1
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer_client, mixed_file())
    preview = ImportJob.objects.get()
    assert preview.state == ImportJob.State.DONE and preview.records_done == 5
    with django_capture_on_commit_callbacks(execute=True):
        importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    assert applying.state == ImportJob.State.DONE
    assert Book.objects.filter(isbn__in=[isbn13(2), isbn13(4)]).count() == 2


def test_a_redelivered_task_leaves_a_finished_job_alone(importer_client, stored_book):
    preview = previewed(importer_client, stored_book)
    importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    finished = applying.finished_at
    import_job_run(job_id=applying.pk)
    applying.refresh_from_db()
    assert applying.finished_at == finished and Book.objects.count() == 3


def test_the_jobs_progress_is_written_after_each_batch(importer_client, settings):
    """A page reading the job while it runs sees the records done grow batch by batch."""
    settings.CATALOG_IMPORT_INLINE_BYTES = 1  # queued, then run here with the queries captured
    records = [marc_record(isbn13(1000 + n), f"Book {n}") for n in range(1100)]
    upload(importer_client, marc_file(*records))
    job = ImportJob.objects.get()
    with CaptureQueriesContext(connection) as queries:
        import_job_run(job_id=job.pk)
    progress = [
        int(match.group(1))
        for query in queries
        for match in [re.search(r'SET "records_done" = (\d+) WHERE', query["sql"])]
        if match and "started_at" not in query["sql"] and "finished_at" not in query["sql"]
    ]
    assert progress == [500, 1000, 1100]
    job.refresh_from_db()
    assert (job.state, job.records_done, job.counts["create"]) == ("done", 1100, 1100)


def test_an_apply_job_waiting_shows_its_share_of_the_previews_records(
    importer_client, stored_book, settings, django_assert_max_num_queries
):
    preview = previewed(importer_client, stored_book)
    settings.CATALOG_IMPORT_INLINE_BYTES = 1  # the apply job is queued for a worker
    importer_client.post(confirm_url(preview))
    applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
    ImportJob.objects.filter(pk=applying.pk).update(state="running", records_done=2)
    with django_assert_max_num_queries(6):
        html = importer_client.get(job_url(applying)).content.decode()
    assert "Importing…" in html and '<span id="records-done">2</span> records done of 5' in html
    assert '<progress max="100" value="40">' in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert Book.objects.count() == 1


def wait_for_state(client, job: ImportJob, seen: list[tuple[str, int]], timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = client.get(job_url(job)).content.decode()
        state = re.search(r'data-state="(\w+)"', html).group(1)
        done = int(re.search(r'data-records-done="(\d+)"', html).group(1))
        seen.append((state, done))
        if state in ("done", "failed"):
            return html
        assert '<meta http-equiv="refresh" content="2">' in html
        time.sleep(0.05)
    pytest.fail(f"job {job.pk} still {seen[-1]} after {timeout} s")


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_previews_and_applies_a_large_file_with_progress(importer_client, settings):
    """The jobs go through the Redis broker to a worker thread sharing the test database; the
    page refreshes itself with the records done until the job is done."""
    from celery.contrib.testing.worker import start_worker

    from library_project.celery import app

    assert not app.conf.task_always_eager
    settings.CATALOG_IMPORT_INLINE_BYTES = 1
    records = [marc_record(isbn13(100 + n), f"Book {n}") for n in range(60)]
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    seen: list[tuple[str, int]] = []
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            upload(importer_client, marc_file(*records))
            preview = ImportJob.objects.get()
            wait_for_state(importer_client, preview, seen)
            importer_client.post(confirm_url(preview))
            applying = ImportJob.objects.get(mode=ImportJob.Mode.APPLY)
            html = wait_for_state(importer_client, applying, seen)
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age

    assert seen[-1] == ("done", 60)
    assert "Imported (60 records)" in html
    assert Book.objects.filter(isbn__in=[isbn13(100 + n) for n in range(60)]).count() == 60
    rows = report_of(importer_client, applying)
    assert len(rows) == 61 and {row[3] for row in rows[1:]} == {"create"}


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_the_report_in_the_language_the_job_was_started_in(settings):
    """The staff member reads the admin in Persian: the worker's reasons are Persian too, though
    the worker itself has no request and no language of its own."""
    from celery.contrib.testing.worker import start_worker

    from library_project.celery import app

    persian = Client(HTTP_ACCEPT_LANGUAGE="fa")
    persian.force_login(staff_with_permissions(*IMPORTER))
    settings.CATALOG_IMPORT_INLINE_BYTES = 1
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            upload(persian, marc_file(marc_record(None, "No ISBN here")))
            job = ImportJob.objects.get()
            wait_for_state(persian, job, [])
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age

    job.refresh_from_db()
    assert job.state == "done"
    assert [row[-1] for row in job.shown] == ["بدون شابک (020)"]
    assert report_of(persian, job)[1][-1] == "بدون شابک (020)"
