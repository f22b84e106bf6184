"""The deployment files agree with the settings module, and production settings fail safe."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS_SOURCE = (ROOT / "library_project" / "settings.py").read_text()
SETTINGS_VARIABLES = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_part_of_the_stack(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in compose["services"][name], name


def test_compose_commands_match_the_project(compose):
    services = compose["services"]
    assert "gunicorn library_project.wsgi:application" in services["web"]["command"]
    assert "manage.py migrate" in services["web"]["command"]
    assert "manage.py load_sample_data" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A library_project worker")
    assert services["beat"]["command"].startswith("celery -A library_project beat")
    assert settings.CELERY_BEAT_SCHEDULER in services["beat"]["command"]


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_compose_environment_uses_only_variables_the_settings_read(compose, service):
    environment = compose["services"][service]["environment"]
    assert set(environment) <= SETTINGS_VARIABLES, set(environment) - SETTINGS_VARIABLES
    assert environment["DEBUG"] == "false"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://")


def test_readme_documents_every_environment_variable():
    readme = (ROOT / "README.md").read_text()
    undocumented = {name for name in SETTINGS_VARIABLES if f"`{name}`" not in readme}
    assert not undocumented, f"README's configuration table misses {sorted(undocumented)}"


def _import_settings(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_TESTING"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import library_project.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_the_insecure_development_key():
    result = _import_settings(DEBUG="false", SECRET_KEY="django-insecure-abc")
    assert result.returncode != 0


def test_production_settings_start_with_a_real_secret_key():
    result = _import_settings(DEBUG="false", SECRET_KEY="a-real-secret-" + "x" * 50)
    assert result.returncode == 0, result.stderr


def test_periodic_tasks_of_the_spec_are_scheduled():
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["reservations.tasks.expire_due_reservations"] == 60.0
    assert "accounts.tasks.purge_expired_credentials" in tasks
    assert "reservations.tasks.remind_reservations_ending_soon" in tasks


def _manage(*args, **env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_TESTING"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_manage_py_is_the_development_entry_point():
    assert _manage("check").returncode == 0


def test_manage_py_with_debug_off_still_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
