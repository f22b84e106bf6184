"""The catalog in Persian: an error's `detail` follows the request's language while its `code`
stays, and the admin's book list and import page read in Persian. Needs the compiled catalog
(`pybabel compile -i locale/fa/LC_MESSAGES/django.po -o locale/fa/LC_MESSAGES/django.mo`)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory
from catalog.tests.import_files import IMPORTER, marc_file, marc_record
from library_project.tests.security_world import staff_with_permissions

pytestmark = pytest.mark.django_db


def detail_of(url: str, language: str):
    response = APIClient().get(url, HTTP_ACCEPT_LANGUAGE=language)
    return response.status_code, response.json()


def test_a_withdrawn_books_410_is_said_in_persian_with_the_same_code():
    book = BookFactory(withdrawn_at=timezone.now())
    url = f"/api/books/{book.pk}/"
    english = detail_of(url, "en")
    persian = detail_of(url, "fa")
    assert english == (
        410,
        {"code": "book_withdrawn", "detail": "This book has been withdrawn from the catalog."},
    )
    assert persian == (
        410,
        {"code": "book_withdrawn", "detail": "این کتاب از مجموعه خارج شده است."},
    )


def test_a_missing_rating_is_a_persian_404():
    from accounts.tests.factories import CustomerFactory

    customer = CustomerFactory()
    client = APIClient()
    client.force_authenticate(customer.user)
    url = f"/api/books/{BookFactory().pk}/rating/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    persian = client.get(url, HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 404
    assert english.json()["code"] == persian.json()["code"] == "not_found"
    assert english.json()["detail"] == "You have not rated this book."
    assert persian.json()["detail"] == "شما به این کتاب امتیاز نداده‌اید."


def test_a_bad_filter_value_is_explained_in_persian():
    response = APIClient().get(
        "/api/books/", {"year_min": 2000, "year_max": 1990}, HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]["year_max"] == ["year_max نباید از year_min کمتر باشد."]


def test_the_admin_book_list_reads_in_persian(staff_client):
    BookFactory(title="Savushun")
    BookFactory(title="Kelidar", withdrawn_at=timezone.now())
    url = reverse("admin:catalog_book_changelist")
    html = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "Savushun" in html
    for text in (
        "عنوان",  # the title column
        "سال انتشار",  # published year
        "نسخه‌های موجود",  # available units
        "خارج‌شده از مجموعه",  # the withdrawn filter and column
        "خارج کردن از مجموعه (دلیل پرسیده می‌شود)",  # the withdraw action
        "بازگرداندن به مجموعه",  # the reinstate action
        "برون‌بری CSV",
        "درون‌ریزی فهرست کتاب‌ها",
    ):
        assert text in html, text
    english = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Withdraw from the catalog (asks for a reason)" in english
    assert "Export CSV" in english and "عنوان" not in english


def test_the_import_page_and_its_preview_read_in_persian(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff_with_permissions(*IMPORTER))
    start = reverse("admin-catalog-import")
    html = client.get(start, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    for text in (
        "درون‌ریزی فهرست کتاب‌ها",
        "پروندهٔ فهرست کتاب‌ها",
        "تشخیص از روی نام پرونده",
        "بارگذاری و پیش‌نمایش",
        "کارهای درون‌ریزی اخیر",
        "هنوز درون‌ریزی‌ای انجام نشده است.",
    ):
        assert text in html, text
    # a small file is previewed at once; a record with no ISBN is refused in Persian
    response = client.post(
        start,
        {"file": marc_file(marc_record(None, "No ISBN here")), "format": ""},
        HTTP_ACCEPT_LANGUAGE="fa",
        follow=True,
    )
    html = response.content.decode()
    assert "پیش‌نمایش: این پرونده چه تغییری خواهد داد" in html
    assert "بدون شابک (020)" in html
    assert "رد شد" in html  # the count of refused records
    assert "<td>رد</td>" in html  # the record's action


def test_a_file_of_unknown_format_is_refused_in_persian(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff_with_permissions(*IMPORTER))
    upload = SimpleUploadedFile("books.txt", b"hello")
    response = client.post(
        reverse("admin-catalog-import"), {"file": upload, "format": ""}, HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert response.status_code == 200
    assert "قالب «books.txt» از روی نامش مشخص نیست" in response.content.decode()
