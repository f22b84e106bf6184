"""JSON in, JSON out: the API parses only JSON bodies and answers every miss with its JSON error shape."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from library_project.tests.security_world import client_for, make_world

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "detail": "Not found."}

MISSES = [
    "/api/nowhere/",
    "/api/nowhere",
    "/api/reservations/abc/",
    "/api/reservations/queue/abc/",
    "/api/books/abc/",
    "/api/authors/1.5/",
    "/api/notifications/abc/read/",
    "/api/",
]


@pytest.fixture
def world():
    return make_world()


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", MISSES)
def test_a_url_that_matches_no_route_answers_json_404(settings, world, path, debug):
    settings.DEBUG = debug
    for client in (APIClient(), client_for(world.member)):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json() == NOT_FOUND


def test_a_missing_trailing_slash_on_a_real_route_is_still_redirected():
    response = APIClient().get("/api/books")
    assert (response.status_code, response["Location"]) == (301, "/api/books/")


def test_pages_outside_the_api_keep_django_s_own_404(settings):
    settings.DEBUG = False
    response = APIClient().get("/nowhere/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_wrong_method_answers_json_405(world):
    response = client_for(world.member).delete("/api/wallet/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("application/x-www-form-urlencoded", "email=form%40example.com&password=Long-pass-123"),
        (
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="email"'
            "\r\n\r\nform@example.com\r\n--b--\r\n",
        ),
        ("text/plain", '{"email": "form@example.com"}'),
    ],
    ids=["urlencoded", "multipart", "text"],
)
def test_a_body_that_is_not_json_answers_415_and_changes_nothing(content_type, body):
    response = APIClient().post("/api/auth/signup/", data=body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not User.objects.filter(email="form@example.com").exists()


def test_the_schema_declares_only_json_request_bodies():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    bodies = {
        f"{method.upper()} {path}": set(operation["requestBody"]["content"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert bodies, "the schema declares request bodies"
    assert {name: types for name, types in bodies.items() if types != {"application/json"}} == {}
