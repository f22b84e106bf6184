"""A NUL character in a query string or a form is a 400 everywhere, never a database error.

PostgreSQL refuses any string literal holding NUL (SQLite stores it), so these run there.
"""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from catalog.models import ImportJob
from catalog.tests.import_files import IMPORTER
from library_project.tests.security_world import staff_with_permissions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REFUSAL = {"code": "null_character", "detail": "The request carries a NUL character."}


def _changelists() -> list[tuple[str, str]]:
    """Each registered model's changelist, with a filter parameter it knows."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        field_filters = [f for f in model_admin.list_filter if isinstance(f, str)]
        pages.append((url, field_filters[0] if field_filters else model._meta.pk.name))
    return pages


def _assert_plain_refusal(response) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("url,filter_param", _changelists())
def test_every_admin_changelist_refuses_a_nul_in_its_search_and_its_filters(
    staff_client, url, filter_param
):
    assert staff_client.get(url).status_code == 200
    _assert_plain_refusal(staff_client.get(f"{url}?q=%00"))
    _assert_plain_refusal(staff_client.get(f"{url}?{filter_param}=%00"))
    _assert_plain_refusal(staff_client.get(f"{url}?q=owl%00"))


def test_an_admin_form_carrying_a_nul_is_refused(staff_client):
    url = reverse("admin:catalog_genre_add")
    _assert_plain_refusal(staff_client.post(url, {"name": "Poetry\x00"}))
    _assert_plain_refusal(Client().post("/admin/login/", {"username": "a\x00", "password": "x"}))


def test_an_api_list_refuses_a_nul_in_its_search_with_the_error_shape():
    response = APIClient().get("/api/books/?search=%00")
    assert (response.status_code, response.json()) == (400, REFUSAL)
    assert APIClient().get("/api/books/?search=owl").status_code == 200


def _signup_form(encoding: str):
    fields = {"email": "nul@example.com", "phone": "+989120000555", "password": PASSWORD}
    fields["first_name"] = "Sa\x00ra"
    if encoding == "multipart":
        return APIClient().post("/api/auth/signup/", fields, format="multipart")
    return APIClient().post(
        "/api/auth/signup/", urlencode(fields), content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_an_api_form_carrying_a_nul_is_refused_and_changes_nothing(encoding):
    response = _signup_form(encoding)
    assert (response.status_code, response.json()) == (400, REFUSAL)
    assert not User.objects.filter(email="nul@example.com").exists()


def test_a_nul_in_a_json_string_is_refused_by_the_serializer_and_changes_nothing():
    fields = {"email": "nul@example.com", "phone": "+989120000555", "password": PASSWORD}
    response = APIClient().post(
        "/api/auth/signup/", {**fields, "first_name": "Sa\x00ra"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "first_name" in response.json()["errors"]
    assert not User.objects.filter(email="nul@example.com").exists()


def test_an_uploaded_files_content_may_hold_nul_bytes_but_its_name_and_the_fields_may_not(
    client, settings, tmp_path
):
    """An XLSX file is a zip: its bytes reach the catalog import; a NUL anywhere else is a 400."""
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff_with_permissions(*IMPORTER))
    url = reverse("admin-catalog-import")
    sample = (settings.BASE_DIR / "fixtures" / "catalog" / "sample.xlsx").read_bytes()
    assert b"\x00" in sample

    _assert_plain_refusal(
        client.post(url, {"file": SimpleUploadedFile("sample.xlsx", sample), "format": "xlsx\x00"})
    )
    _assert_plain_refusal(
        client.post(url, {"file": SimpleUploadedFile("sam\x00ple.xlsx", sample), "format": ""})
    )
    assert not ImportJob.objects.exists()
    response = client.post(url, {"file": SimpleUploadedFile("sample.xlsx", sample), "format": ""})
    assert response.status_code == 302
    assert ImportJob.objects.get().state == ImportJob.State.DONE
