"""Strict request bodies, driven by the OpenAPI document: every write operation refuses, with a 400
naming the field, each property of its body given a value of the wrong JSON type or a null it does
not allow, a field it does not know, and each field of its answer it does not take as input.

A write operation the table below does not know fails the test: a new one is covered or the test
says so, never skipped in silence.
"""

import json
from functools import cache

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts.models import Customer, User
from library_project.tests.security_world import client_for, make_world
from purchasing.gateways import sign
from purchasing.services import wallet_charge

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")
UNKNOWN = "no_such_field"

# The payment provider's webhook is authenticated by its raw body's signature and reads that body
# itself: the provider may add fields to its events, so unknown fields stay allowed there (the
# gateway checks the types of the three it reads).
WEBHOOK = "payments_webhook_create"

# Who may call each write operation, and the world's object its `{id}` names (None: no id).
CALLERS = {
    "auth_signup_create": ("member", None),
    "auth_activate_create": ("member", None),
    "auth_activate_resend_create": ("member", None),
    "auth_login_create": ("member", None),
    "auth_login_verify_create": ("member", None),
    "auth_token_refresh_create": ("member", None),
    "auth_logout_create": ("member", None),
    "auth_password_change_create": ("member", None),
    "auth_password_reset_create": ("member", None),
    "auth_password_reset_confirm_create": ("member", None),
    "users_me_update": ("member", None),
    "users_me_partial_update": ("member", None),
    "users_me_phone_create": ("member", None),
    "users_me_phone_confirm_create": ("member", None),
    "users_me_email_create": ("member", None),
    "users_me_email_confirm_create": ("member", None),
    "customers_me_update": ("member", None),
    "customers_me_partial_update": ("member", None),
    "notifications_read_create": ("member", "notification"),
    "admin_users_revoke_tokens_create": ("admin", "member"),
    "books_create": ("admin", None),
    "books_update": ("author", "book"),
    "books_partial_update": ("author", "book"),
    "books_rating_update": ("member", "book"),
    "books_shelf_update": ("member", "book"),
    "books_favourite_update": ("member", "book"),
    "books_reaction_update": ("member", "book"),
    "books_withdraw_create": ("author", "book"),
    "books_reinstate_create": ("author", "book"),
    "reviews_reaction_update": ("member", "review"),
    "books_reviews_create": ("member", "book"),
    "reviews_partial_update": ("member", "review"),
    "reviews_replies_create": ("member", "review"),
    "replies_partial_update": ("member", "reply"),
    "authors_create": ("admin", None),
    "authors_update": ("author", "author_profile"),
    "authors_partial_update": ("author", "author_profile"),
    "genres_create": ("admin", None),
    "genres_update": ("admin", "genre"),
    "genres_partial_update": ("admin", "genre"),
    "cities_create": ("admin", None),
    "cities_update": ("admin", "city"),
    "cities_partial_update": ("admin", "city"),
    "wallet_charge_create": ("member", None),
    "memberships_create": ("member", None),
    "reservations_create": ("member", None),
    "reservations_quote_create": ("member", None),
    "reservations_update": ("member", "reservation"),
    "reservations_queue_suspend_create": ("member", "queue_entry"),
    "reservations_queue_resume_create": ("member", "queue_entry"),
    "admin_reservations_end_create": ("admin", "reservation"),
    "reviews_report_create": ("other", "review"),
    "replies_report_create": ("other", "reply"),
}

# Values of the wrong JSON type for a property of each schema type.
WRONG_VALUES = {
    "string": [0, 1.5, True, {}, []],
    "integer": ["1", "", True, 1.5, {}, []],
    "number": ["1", True, {}, []],
    "boolean": ["true", 1, 0, {}, []],
    "array": ["1", 1, {}],
}
# A value of the right JSON type for each schema type.
SAMPLES = {"string": "x", "integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}


@cache
def document() -> dict:
    """The document `GET /api/schema/` serves, as JSON."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _type(schema: dict) -> str:
    schema = _resolve(schema)
    if "type" in schema:
        return schema["type"]
    if "enum" in schema:
        kinds = {type(value) for value in schema["enum"] if value is not None}
        return {str: "string", int: "integer"}[kinds.pop()] if kinds else "null"
    members = schema.get("allOf") or schema.get("oneOf") or []
    kinds = {_type(member) for member in members} - {"null"}
    if len(kinds) == 1:
        return kinds.pop()
    raise AssertionError(f"teach this test the JSON type of {schema}")


def _json_body(content: dict) -> dict:
    """The object schema of a request's or answer's JSON body ({} when it has none)."""
    media = (content or {}).get("application/json")
    return _resolve(media["schema"]) if media else {}


def write_operations() -> dict[str, tuple[str, str, dict]]:
    """operationId → (method, path, operation) of each write operation of the document."""
    return {
        operation["operationId"]: (method, path, operation)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in WRITE_METHODS
    }


def _wrong_values(schema: dict) -> list:
    kind = _type(schema)
    values = list(WRONG_VALUES[kind])
    if kind == "array":
        item_kind = _type(schema["items"])
        values += [[value] for value in WRONG_VALUES[item_kind][:3]] + [[None]]
    return values


def refused_bodies(operation: dict) -> list[tuple[str, dict]]:
    """(field, body) pairs each of which the operation must refuse with a 400 naming the field."""
    request = _json_body(operation.get("requestBody", {}).get("content"))
    properties = request.get("properties", {})
    bodies = [(UNKNOWN, {UNKNOWN: "x"})]
    for name, schema in properties.items():
        bodies += [(name, {name: value}) for value in _wrong_values(schema)]
        if not (schema.get("nullable") or _resolve(schema).get("nullable")):
            bodies.append((name, {name: None}))
    for status, response in operation["responses"].items():
        if not status.startswith("2"):
            continue
        answer = _json_body(response.get("content"))
        for name, schema in answer.get("properties", {}).items():
            if name not in properties:
                bodies.append((name, {name: SAMPLES[_type(schema)]}))
    return bodies


@pytest.fixture
def world(settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return make_world()


def _url(path: str, world, target: str | None) -> str:
    if target is None:
        assert "{" not in path, path
        return path
    return path.replace("{id}", str(getattr(world, target).pk))


def test_every_write_operation_is_covered():
    assert set(write_operations()) == {*CALLERS, WEBHOOK}


def test_every_strict_request_body_is_closed_in_the_schema():
    for operation_id, (_, _, operation) in write_operations().items():
        body = _json_body(operation.get("requestBody", {}).get("content"))
        if body:
            closed = body.get("additionalProperties") is False
            assert closed is (operation_id != WEBHOOK), operation_id


@pytest.mark.parametrize("operation_id", sorted(CALLERS))
def test_each_wrong_field_is_refused_naming_it(operation_id, world):
    method, path, operation = write_operations()[operation_id]
    role, target = CALLERS[operation_id]
    client = client_for(getattr(world, role))
    url = _url(path, world, target)
    wrong = []
    for field, body in refused_bodies(operation):
        response = getattr(client, method)(url, body, format="json")
        answer = response.json() if response.content else None
        refused = (
            response.status_code == 400
            and answer["code"] == "invalid"
            and field in answer.get("errors", {})
        )
        if not refused:
            wrong.append((json.dumps(body), response.status_code, answer))
    assert wrong == []


def test_a_number_for_a_string_names_the_type_and_changes_nothing(world):
    response = client_for(world.member).patch("/api/users/me/", {"last_name": 0}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Invalid input.",
        "errors": {"last_name": ["Must be a string, not an integer."]},
    }
    assert User.objects.get(pk=world.member.pk).last_name == world.member.last_name


def test_a_refused_field_beside_valid_ones_changes_nothing(world):
    before = Customer.objects.values().get(user=world.member)
    for extra in ({"id": 1}, {"wallet_balance": 10**9}, {UNKNOWN: "x"}, {"address": 0}):
        response = client_for(world.member).patch(
            "/api/customers/me/",
            {"address": "Another street 5", "city": world.city.pk, **extra},
            format="json",
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == list(extra)
    assert Customer.objects.values().get(user=world.member) == before


def test_the_same_body_without_the_refused_field_is_accepted(world):
    response = client_for(world.member).patch(
        "/api/customers/me/", {"address": "Another street 5"}, format="json"
    )
    assert response.status_code == 200
    assert Customer.objects.get(user=world.member).address == "Another street 5"


def test_the_payment_webhook_takes_fields_the_provider_adds(world, settings):
    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    customer = Customer.objects.get(user=world.member)
    pending = wallet_charge(customer_id=customer.pk, amount=30_000).payment
    event = {
        "reference": pending.gateway_reference,
        "status": "succeeded",
        "amount": 30_000,
        "provider_field": {"added": "later"},
    }
    body = json.dumps(event).encode()
    response = client_for(None).post(
        "/api/payments/webhook/",
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(body, settings.PAYMENT_WEBHOOK_SECRET),
    )
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
