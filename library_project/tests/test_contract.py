"""The consumer's view of the contract: Schemathesis, with every check it has, run as its command
line runs against a live server, as an anonymous caller, a member and an admin.

The checks: no 5xx; every status, content type, header and body as the schema declares it; a
request the schema calls invalid is refused, one it calls valid is not (`schemathesis.toml` names
the operations where only the server's state can refuse a well-formed request, with a 400 saying
why); a token is not ignored; a deleted object stays gone and a created one can be read.
`CONTRACT_EXAMPLES` sets the budget per operation (`make contract` raises it); the seed is fixed so
a failure reproduces.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection

from library_project.tests.openapi import openapi_document
from library_project.tests.security_world import access_token, make_world

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "3"))
ROLES = ["anonymous", "member", "admin"]
CONCURRENT_WRITES = connection.vendor == "postgresql"


@pytest.fixture
def _replies_without_delay(monkeypatch):
    """The live server answers each request with no Nagle delay: its headers and body leave as
    written instead of waiting out the client's delayed acknowledgement (40 ms a request)."""
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)


@pytest.fixture
def contract_world(settings, _replies_without_delay):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    return make_world()


def schemathesis_run(*, schema_path, url: str, headers: list[str]) -> subprocess.Popen:
    """`st run` with every check, as a consumer would start it (the project's schemathesis.toml
    is read from the working directory)."""
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--no-color", "run", str(schema_path)),
        *("--url", url, "--checks", "all", "--max-examples", str(EXAMPLES)),
        *("--seed", "1", "--generation-deterministic", "--workers", "1"),
        *headers,
    ]
    return subprocess.Popen(
        command,
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_every_schemathesis_check_passes_against_a_live_server(
    contract_world, live_server, tmp_path
):
    """The three callers run at once against the one server, as a server meets its clients;
    one after another on the test's in-memory SQLite, whose one shared connection takes no
    concurrent writes."""
    document = openapi_document()
    schema_path = tmp_path / "openapi.json"
    schema_path.write_text(json.dumps(document))
    headers = {"anonymous": []}
    for role in ("member", "admin"):
        token = access_token(getattr(contract_world, role))
        headers[role] = ["--header", f"Authorization: Bearer {token}"]

    runs, outputs = {}, {}
    for role in ROLES:
        runs[role] = schemathesis_run(
            schema_path=schema_path, url=live_server.url, headers=headers[role]
        )
        if not CONCURRENT_WRITES:
            outputs[role] = runs[role].communicate(timeout=1200)[0]
    for role in runs.keys() - outputs.keys():
        outputs[role] = runs[role].communicate(timeout=1200)[0]

    failed = {role: outputs[role][-20_000:] for role, run in runs.items() if run.returncode != 0}
    assert not failed, "\n\n".join(f"===== as {role}\n{out}" for role, out in failed.items())
    operations = sum(len(methods) for methods in document["paths"].values())
    for output in outputs.values():
        assert f"{operations} selected / {operations} total" in output
        assert int(re.search(r"(\d+) generated", output).group(1)) >= operations
