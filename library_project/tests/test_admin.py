"""The admin is styled in production: with DEBUG off, `collectstatic` builds the hashed, compressed
files and WhiteNoise serves them from the web process itself (gunicorn needs no other server)."""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_static(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return settings.STATIC_ROOT


def test_collectstatic_builds_hashed_and_compressed_admin_files(production_static):
    hashed = staticfiles_storage.url("admin/css/base.css")
    assert hashed != "/static/admin/css/base.css" and hashed.endswith(".css")
    relative = hashed.removeprefix("/static/")
    assert (production_static / relative).is_file()
    assert (production_static / f"{relative}.gz").is_file()
    assert (production_static / "staticfiles.json").is_file()


def test_whitenoise_serves_the_admin_css_with_debug_off(production_static):
    client = Client()  # a new handler: WhiteNoise reads the freshly collected files
    login_page = client.get("/admin/login/")
    hashed = staticfiles_storage.url("admin/css/base.css")
    assert hashed.encode() in login_page.content

    response = client.get(hashed)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    assert b".module" in b"".join(response.streaming_content)

    compressed = client.get(hashed, headers={"accept-encoding": "gzip"})
    assert compressed["Content-Encoding"] == "gzip"


def test_an_unknown_static_file_answers_404_not_500(production_static):
    assert Client().get("/static/admin/css/nope.css").status_code == 404
