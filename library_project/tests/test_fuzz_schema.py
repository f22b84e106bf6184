"""Schema-driven fuzzing: every operation of the OpenAPI document, as a member and as an admin.

Schemathesis generates valid and invalid requests from the drf-spectacular schema and sends them
in-process through the WSGI application. Two checks: no 5xx, and every documented response
matches its schema. `FUZZ_EXAMPLES` sets the budget per operation and role (`make fuzz` raises it);
the seed is derandomized so a CI failure reproduces.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from library_project.tests.security_world import access_token, make_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))


def openapi_document() -> dict:
    """The document `GET /api/schema/` serves (that view needs an admin when DEBUG is off)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = get_wsgi_application()

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def _one_test_connection():
    """Requests go through the WSGI handler, whose signals would close the test's connection
    (it is inside the test's transaction); Django's own test client unhooks them the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db, settings, _one_test_connection):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    return make_world()


def _run(case, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_operation_fails_or_breaks_its_schema_for_a_member(case, fuzz_world):
    _run(case, access_token(fuzz_world.member))


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_operation_fails_or_breaks_its_schema_for_an_admin(case, fuzz_world):
    _run(case, access_token(fuzz_world.admin))
