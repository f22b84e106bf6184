"""The API speaks the language the client asks for in `Accept-Language` (English when it asks for
none of ours); the error `code` is the same in every language, only the `detail` is translated."""

import re

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db

PERSIAN_LETTERS = re.compile("[\u0600-\u06ff]")
MISSING_BOOK = "/api/books/999999/"


def ask(path: str, language: str | None = None, method: str = "get"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return getattr(APIClient(), method)(path, **headers)


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        (MISSING_BOOK, "get", 404),  # our own error
        ("/api/reservations/", "get", 401),  # DRF's own error
        ("/api/reservations/", "post", 401),
    ],
)
def test_the_same_error_answers_in_persian_and_english_with_the_same_code(path, method, status):
    english = ask(path, "en", method)
    persian = ask(path, "fa-IR,fa;q=0.9,en;q=0.5", method)

    assert english.status_code == persian.status_code == status
    assert english.json()["code"] == persian.json()["code"]
    assert not PERSIAN_LETTERS.search(english.json()["detail"])
    assert PERSIAN_LETTERS.search(persian.json()["detail"])
    assert english["Content-Language"] == "en"
    assert persian["Content-Language"] == "fa"


def test_english_is_the_default_when_the_client_names_no_language_of_ours():
    for language in (None, "de-DE,de;q=0.9"):
        answer = ask(MISSING_BOOK, language)
        assert answer["Content-Language"] == "en"
        assert not PERSIAN_LETTERS.search(answer.json()["detail"])


def test_the_default_language_follows_the_language_code_setting(settings):
    settings.LANGUAGE_CODE = "fa"

    answer = ask(MISSING_BOOK)

    assert answer["Content-Language"] == "fa"
    assert PERSIAN_LETTERS.search(answer.json()["detail"])
    assert answer.json()["code"] == ask(MISSING_BOOK, "en").json()["code"]


def test_timestamps_stay_iso_8601_utc_whatever_the_language():
    """Machines read the API: a Persian client gets the same data and the same ISO UTC times."""
    holder = member()
    book = BookFactory()
    reservation_create(customer=holder, book_id=book.pk, days=3)
    client = APIClient()
    client.force_authenticate(holder.user)

    english = client.get("/api/reservations/", HTTP_ACCEPT_LANGUAGE="en").json()
    persian = client.get("/api/reservations/", HTTP_ACCEPT_LANGUAGE="fa").json()

    assert english == persian
    ends_at = english["results"][0]["ends_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", ends_at)


def test_staff_switch_the_admin_to_persian_and_back(staff_client):
    answer = staff_client.post("/i18n/setlang/", {"language": "fa", "next": "/admin/"})
    assert answer.status_code == 302

    persian = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert persian["Content-Language"] == "fa"
    assert 'dir="rtl"' in persian.content.decode()
    assert 'value="en" lang="en">English</button>' in persian.content.decode()  # the way back

    staff_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert staff_client.get("/admin/")["Content-Language"] == "en"


def test_an_unknown_language_is_refused_by_the_switch_and_changes_nothing(staff_client):
    staff_client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/"})
    assert staff_client.get("/admin/")["Content-Language"] == "en"
