"""Project-wide API wiring: health, the error shape, the schema and its viewers."""

import pytest
from rest_framework.test import APIClient

from core.errors import DomainError
from core.exceptions import exception_handler
from purchasing.errors import InsufficientFunds

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_redis(settings):
    response = APIClient().get("/api/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    expected_redis = "ok" if settings.REDIS_URL else "not_configured"
    assert response.json()["redis"] == expected_redis


def test_health_reports_unreachable_redis_as_degraded(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    body = APIClient().get("/api/health/").json()
    assert body["redis"] == "unavailable"
    assert body["status"] == "degraded"


def test_domain_errors_render_code_detail_and_extra_fields():
    class Sample(DomainError):
        code = "sample_rule"
        http_status = 409

    response = exception_handler(Sample("No.", thing=3), {})
    assert response.status_code == 409
    assert response.data == {"code": "sample_rule", "detail": "No.", "thing": 3}


def test_insufficient_funds_is_402_with_charge_url_and_location():
    response = exception_handler(InsufficientFunds(required_amount=7000, balance=2500), {})
    assert response.status_code == 402
    assert response.data["missing_amount"] == 4500
    assert response.data["charge_url"] == "/api/wallet/charge/?amount=4500"
    assert response["Location"] == "/api/wallet/charge/?amount=4500"


def test_unknown_url_answers_json_404():
    response = APIClient().get("/api/books/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_validation_errors_carry_code_and_offending_fields():
    from rest_framework.exceptions import ValidationError

    response = exception_handler(ValidationError({"days": ["Too many."]}), {})
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {"days": ["Too many."]}


def test_schema_is_served_while_debug_is_on_and_needs_an_admin_otherwise(settings):
    settings.SPECTACULAR_SETTINGS = {**settings.SPECTACULAR_SETTINGS}
    response = APIClient().get("/api/schema/")
    # Tests run with DEBUG off: an anonymous caller is refused.
    assert response.status_code in (401, 403)


def test_books_list_is_public_and_paginated():
    response = APIClient().get("/api/books/")
    assert response.status_code == 200
    assert set(response.json()) >= {"count", "results", "next", "previous"}
