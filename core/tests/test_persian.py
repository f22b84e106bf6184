"""The shared input checks answer in the request's language; the codes stay the same."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import member

pytestmark = pytest.mark.django_db


def client() -> APIClient:
    api = APIClient()
    api.force_authenticate(member().user)
    return api


def test_a_strict_body_is_refused_in_persian():
    response = client().post(
        "/api/reservations/",
        {"book": "1", "days": 3, "colour": "blue"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {
        "book": ["باید عدد صحیح باشد، نه رشته."],
        "colour": ["این درخواست چنین فیلدی نمی‌پذیرد."],
    }


def test_a_page_size_out_of_bounds_is_refused_in_persian_digits():
    response = client().get("/api/reservations/?page_size=500", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": ["یک عدد صحیح از ۱ تا ۱۰۰ لازم است."]}


def test_an_unknown_api_url_answers_not_found_in_persian():
    response = APIClient().get("/api/no-such-thing/", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "پیدا نشد."}
