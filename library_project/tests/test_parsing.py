"""Pathological request bodies are a clean 400 on every JSON endpoint."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/auth/login/", "/api/auth/signup/", "/api/payments/webhook/"]
)
def test_deeply_nested_json_is_a_400_not_a_server_error(path):
    body = "[" * 100_000 + "]" * 100_000
    response = APIClient().post(path, data=body, content_type="application/json")
    assert response.status_code == 400


def test_malformed_json_is_a_400_with_the_parse_error_code():
    response = APIClient().post(
        "/api/auth/login/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
