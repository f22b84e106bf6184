"""The deployment files agree with the settings module, and production settings fail safe."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS_SOURCE = (ROOT / "library_project" / "settings.py").read_text()
# Variables a test's own environment must not leak into a production process it starts.
PRODUCTION_SWITCHES = {
    "DEBUG",
    "SECRET_KEY",
    "DJANGO_TESTING",
    "PAYMENT_GATEWAY",
    "ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION",
    "LOAD_SAMPLE_DATA",
}
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
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_SWITCHES}
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


REAL_SECRET_KEY = "a-real-secret-" + "x" * 50
WEBHOOK_GATEWAY = "purchasing.gateways.WebhookGateway"


def test_production_settings_start_with_a_real_secret_key():
    result = _import_settings(
        DEBUG="false", SECRET_KEY=REAL_SECRET_KEY, PAYMENT_GATEWAY=WEBHOOK_GATEWAY
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("gateway", [None, "purchasing.gateways.DevelopmentGateway"])
def test_production_settings_refuse_the_development_gateway(gateway):
    chosen = {"PAYMENT_GATEWAY": gateway} if gateway else {}
    result = _import_settings(DEBUG="false", SECRET_KEY=REAL_SECRET_KEY, **chosen)
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY is the development gateway" in result.stderr


@pytest.mark.parametrize("opt_in", ["false", "", "yes-please"])
def test_only_a_true_opt_in_lets_production_start_on_the_development_gateway(opt_in):
    result = _import_settings(
        DEBUG="false", SECRET_KEY=REAL_SECRET_KEY, ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION=opt_in
    )
    assert result.returncode != 0


def test_production_settings_start_on_the_development_gateway_when_explicitly_allowed():
    result = _import_settings(
        DEBUG="false", SECRET_KEY=REAL_SECRET_KEY, ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION="true"
    )
    assert result.returncode == 0, result.stderr


def test_periodic_tasks_of_the_spec_are_scheduled():
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["reservations.tasks.expire_due_reservations"] == 60.0
    assert "accounts.tasks.purge_expired_credentials" in tasks
    assert "reservations.tasks.remind_reservations_ending_soon" in tasks


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_SWITCHES}
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


# --- what compose starts: resolved as `docker compose` would, then run with stand-in programs ---

COMPOSE_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?::([?-])([^}]*))?\}")
COMPOSE_REQUIRED = {"SECRET_KEY": "a-real-secret-" + "c" * 50, "PAYMENT_WEBHOOK_SECRET": "s" * 40}


def _resolve(text: str, shell: dict) -> str:
    """Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`."""

    def value(match):
        name, kind, argument = match.groups()
        if name is None:
            return "$"
        if shell.get(name):
            return shell[name]
        if kind == "?":
            raise LookupError(f"{name}: {argument}")
        return argument if kind == "-" else ""

    return COMPOSE_VARIABLE.sub(value, text)


def _web_environment(compose, shell: dict) -> dict:
    return {k: _resolve(v, shell) for k, v in compose["services"]["web"]["environment"].items()}


def _programs_web_runs(compose, tmp_path, shell: dict) -> list[str]:
    """The commands the web service's start-up line runs, `python` and `gunicorn` stood in for."""
    log = tmp_path / "ran.log"
    for program in ("python", "gunicorn"):
        stand_in = tmp_path / program
        stand_in.write_text(f'#!/bin/sh\necho "{program} $*" >> {log}\n')
        stand_in.chmod(0o755)
    command = shlex.split(_resolve(compose["services"]["web"]["command"], shell))
    environment = {**_web_environment(compose, shell), "PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(command, env=environment, check=True, timeout=30)
    return log.read_text().splitlines()


def test_compose_starts_without_sample_data_by_default(compose, tmp_path):
    ran = _programs_web_runs(compose, tmp_path, COMPOSE_REQUIRED)
    assert ran[0] == "python manage.py migrate --noinput"
    assert ran[1].startswith("gunicorn library_project.wsgi:application")
    assert not [line for line in ran if "load_sample_data" in line]


def test_compose_loads_sample_data_only_when_asked(compose, tmp_path):
    ran = _programs_web_runs(compose, tmp_path, {**COMPOSE_REQUIRED, "LOAD_SAMPLE_DATA": "true"})
    assert "python manage.py load_sample_data" in ran


def test_compose_uses_a_gateway_that_collects_money_by_default(compose):
    environment = _web_environment(compose, COMPOSE_REQUIRED)
    assert environment["PAYMENT_GATEWAY"] != "purchasing.gateways.DevelopmentGateway"
    assert environment["ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION"] == "false"
    assert environment["LOAD_SAMPLE_DATA"] == "false"
    result = _import_settings(**environment)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(COMPOSE_REQUIRED))
def test_compose_refuses_to_start_without_its_secrets(compose, missing):
    shell = {k: v for k, v in COMPOSE_REQUIRED.items() if k != missing}
    with pytest.raises(LookupError, match=missing):
        _web_environment(compose, shell)


def test_compose_with_the_development_gateway_chosen_refuses_to_start(compose):
    shell = {**COMPOSE_REQUIRED, "PAYMENT_GATEWAY": "purchasing.gateways.DevelopmentGateway"}
    result = _import_settings(**_web_environment(compose, shell))
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY is the development gateway" in result.stderr


def test_the_image_build_step_gets_the_settings_it_needs_to_start():
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    build_step = next(line for line in dockerfile.splitlines() if "collectstatic" in line)
    words = shlex.split(build_step.removeprefix("RUN "))
    assignments = dict(word.split("=", 1) for word in words[: words.index("python")])
    assert assignments["DEBUG"] == "false"
    result = _import_settings(**assignments)
    assert result.returncode == 0, result.stderr


def test_the_benchmark_serves_with_settings_that_start():
    from bench.run import bench_environment

    environment = bench_environment("postgres://postgres@127.0.0.1:5432/lib_bench")
    environment.pop("DJANGO_SETTINGS_MODULE")  # bench.settings only adds a URLconf
    assert environment["DEBUG"] == "false"
    result = _import_settings(**environment)
    assert result.returncode == 0, result.stderr
