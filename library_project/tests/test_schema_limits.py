"""Every limit the schema states is the one the server holds to, walked from the document itself.

For each bounded query parameter, header and JSON body property (`minimum`, `maximum`,
`minLength`, `maxLength`, `pattern`, `enum`), the value just outside the bound is a 400 naming
it, and the value at the bound is not refused with an error on it (it may still be refused for
another reason: another field missing, a business rule, money). A body carries only the property
under test, so most requests stop at validation and change nothing.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accounts.plans import PLANS
from library_project.tests.openapi import openapi_document
from library_project.tests.security_world import client_for, make_world
from purchasing.gateways import SIGNATURE_HEADER, sign

DOCUMENT = openapi_document()
COMPONENTS = DOCUMENT["components"]["schemas"]
WEBHOOK_SECRET = "schema-limits-secret"
# Strings that may fill a patterned field to a length: the first the pattern accepts is used.
PATTERN_FILLERS = (
    lambda n: "+" + "9" * (n - 1),  # E.164 phone
    lambda n: "9780306406157".ljust(n, "-"),  # ISBN-13 with hyphens
    lambda n: "1" * n,  # digits (a code)
    lambda n: "a" * n,
)
# Strings a patterned field may be refused with: the first the pattern refuses is used.
PATTERN_BREAKERS = (lambda n: " " * n, lambda n: "a" * n, lambda n: "!" * n)


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@dataclass(frozen=True)
class Limit:
    """One bounded input of one operation, with the values just outside and at its bounds."""

    method: str
    path: str
    location: str  # "query", "header" or "body"
    name: str
    outside: tuple
    at_bound: tuple
    pattern: str | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.location} {self.name}"


def _email(length: int) -> str:
    """A valid address exactly `length` characters long (Django's validator: labels of 63)."""
    local = "a" * 64
    labels, left = [], length - len(local) - 1 - len(".com")
    while left > 0:
        label = min(63, left if left <= 63 else 62)  # leave room for the next label's dot
        labels.append("b" * label)
        left -= label + 1
    return f"{local}@{'.'.join(labels)}.com"


def _fill(prop: dict, length: int) -> str | None:
    """A value of `length` characters the property's format and pattern accept, if any."""
    if prop.get("format") == "email":
        return _email(length) if length >= 70 else None
    pattern = prop.get("pattern")
    if pattern is None:
        return "a" * length
    return next((v for f in PATTERN_FILLERS if re.search(pattern, v := f(length))), None)


def _bounds(prop: dict) -> tuple[list, list]:
    """The values just outside each of the property's bounds, and the values at them."""
    outside, at_bound = [], []
    kind = prop.get("type")
    if "enum" in prop:
        outside += ["", "not-one-of-them"]
        at_bound += list(prop["enum"])
    elif kind == "array" and "enum" in prop.get("items", {}):
        choices = prop["items"]["enum"]
        outside += ["", "not-one-of-them", f"{choices[0]},not-one-of-them"]
        at_bound += [*choices, ",".join(choices)]
    elif kind == "integer":
        if "minimum" in prop:
            outside.append(prop["minimum"] - 1)
            at_bound.append(prop["minimum"])
        if "maximum" in prop:
            outside.append(prop["maximum"] + 1)
            at_bound.append(prop["maximum"])
    elif kind == "string":
        shortest, longest = prop.get("minLength", 0), prop.get("maxLength")
        if shortest:
            outside.append("" if shortest == 1 else "a" * (shortest - 1))
            at_bound.append(_fill(prop, shortest))
        if longest is not None:
            outside.append("a" * (longest + 1))
            at_bound.append(_fill(prop, longest))
        if "pattern" in prop:
            size = max(shortest, 1) if longest is None else min(max(shortest, 1), longest)
            breaker = next(
                v for f in PATTERN_BREAKERS if not re.search(prop["pattern"], v := f(size))
            )
            outside.append(breaker)
    return outside, [value for value in at_bound if value is not None]


def _limits() -> Iterator[Limit]:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            inputs = [
                (parameter["in"], parameter["name"], _resolve(parameter["schema"]))
                for parameter in operation.get("parameters", [])
                if parameter["in"] in ("query", "header")
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                properties = _resolve(body["schema"]).get("properties", {})
                inputs += [("body", name, _resolve(prop)) for name, prop in properties.items()]
            for location, name, prop in inputs:
                if prop.get("readOnly"):
                    continue
                outside, at_bound = _bounds(prop)
                if location == "query" and prop.get("type") == "integer":
                    outside.append("")  # present but empty is not a number
                if outside:
                    yield Limit(
                        method,
                        path,
                        location,
                        name,
                        tuple(outside),
                        tuple(at_bound),
                        prop.get("pattern"),
                    )


LIMITS = list(_limits())


# --- requests ------------------------------------------------------------------------------------

# The object each item path of a bounded operation is about, from the world.
PATH_OBJECTS = {
    "/api/reservations/queue/{id}/": "queue_entry",
    "/api/reservations/{id}/": "reservation",
    "/api/books/{id}/": "book",
    "/api/authors/{id}/": "author_profile",
    "/api/genres/{id}/": "genre",
    "/api/cities/{id}/": "city",
    "/api/reviews/{id}/": "review",
    "/api/replies/{id}/": "reply",
}


# Path parameters that name no object: a value the operation takes.
PATH_VALUES = {"{shelf}": "read"}


def _url(world, path: str) -> str:
    for placeholder, value in PATH_VALUES.items():
        path = path.replace(placeholder, value)
    if "{id}" not in path:
        return path
    prefix = next(p for p in PATH_OBJECTS if path.startswith(p.split("{id}")[0]))
    return path.replace("{id}", str(getattr(world, PATH_OBJECTS[prefix]).pk))


def _send(client, limit: Limit, url: str, value):
    if limit.location == "query":
        return client.get(url, {limit.name: value})
    header_key = "HTTP_" + limit.name.upper().replace("-", "_")
    headers = {header_key: value} if limit.location == "header" else {}
    body = json.dumps({limit.name: value} if limit.location == "body" else {}).encode()
    if limit.path == "/api/payments/webhook/":
        headers["HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")] = sign(body, WEBHOOK_SECRET)
    return client.generic(limit.method.upper(), url, body, "application/json", **headers)


def _errors_on(response, name: str, value) -> set[str] | None:
    """The messages of a 400 on `name` with the value itself written `{value}`, or None when
    the answer names no error on it."""
    body = response.json() if response.content else {}
    if response.status_code != 400 or name not in (body.get("errors") or {}):
        return None
    messages = body["errors"][name]
    messages = messages if isinstance(messages, list) else [json.dumps(messages)]
    shown = str(value)
    return {str(m).replace(shown, "{value}") if shown else str(m) for m in messages}


@pytest.fixture
def world(db, settings):
    settings.PAYMENT_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return make_world()


def test_the_walk_finds_the_limits_the_server_holds_to():
    found = {(lim.method, lim.path, lim.location, lim.name) for lim in LIMITS}
    expected = {
        ("post", "/api/reservations/", "body", "days"),
        ("post", "/api/reservations/quote/", "body", "days"),
        ("put", "/api/reservations/{id}/", "body", "days"),
        ("get", "/api/reservations/", "query", "status"),
        ("get", "/api/wallet/charge/", "query", "amount"),
        ("post", "/api/wallet/charge/", "header", "Idempotency-Key"),
        ("post", "/api/wallet/charge/", "body", "amount"),
        ("post", "/api/memberships/", "body", "months"),
        ("post", "/api/payments/webhook/", "body", "status"),
        ("get", "/api/books/", "query", "ordering"),
        ("get", "/api/books/", "query", "available"),
        ("get", "/api/books/", "query", "year_min"),
        ("get", "/api/books/", "query", "search"),
        ("get", "/api/books/", "query", "genre"),
        ("post", "/api/books/", "body", "isbn"),
        ("post", "/api/auth/signup/", "body", "phone"),
        ("post", "/api/auth/signup/", "body", "password"),
        ("post", "/api/auth/password/change/", "body", "new_password"),
    }
    assert expected <= found


def test_the_days_maximum_is_the_longest_any_plan_allows():
    longest = max(rules.max_days for rules in PLANS.values())
    for path, method in (
        ("/api/reservations/", "post"),
        ("/api/reservations/quote/", "post"),
        ("/api/reservations/{id}/", "put"),
    ):
        body = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]
        days = _resolve(body["schema"])["properties"]["days"]
        assert (days["minimum"], days["maximum"]) == (1, longest)


@pytest.mark.parametrize("limit", LIMITS, ids=str)
def test_a_value_outside_a_stated_bound_is_a_400_naming_it_and_one_at_it_is_not(limit, world):
    """At the bound the input may be refused for what it means (a refresh token that is not
    yours, a wrong password), never with a message a value outside the bounds got."""
    url = _url(world, limit.path)
    clients = [client_for(user) for user in (world.member, world.author, world.admin)]
    # The first role the operation lets through to its validation (writes of books are the
    # author's, of genres and cities staff's).
    first = limit.outside[0]
    client = next(
        (c for c in clients if _errors_on(_send(c, limit, url, first), limit.name, first)),
        None,
    )
    assert client is not None, f"{limit} = {first!r} is not refused naming it"
    failures, bound_messages = [], set()
    for value in limit.outside:
        response = _send(client, limit, url, value)
        messages = _errors_on(response, limit.name, value)
        if messages is None:
            failures.append(f"outside {value!r}: {response.status_code} {response.content[:300]}")
        else:
            bound_messages |= messages
    for value in limit.at_bound:
        response = _send(client, limit, url, value)
        if (_errors_on(response, limit.name, value) or set()) & bound_messages:
            failures.append(f"at bound {value!r}: {response.status_code} {response.content[:300]}")
    assert failures == [], str(limit)


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("limit", [lim for lim in LIMITS if lim.pattern], ids=str)
def test_a_pattern_means_what_a_client_reads_in_it_for_other_scripts_digits(limit, world):
    """A client reads a pattern as ECMAScript, where \\d is ASCII only (Python's `re.ASCII`
    here): the server refuses digits of another script exactly where that reading does."""
    fitting = (f(n) for n in range(1, 40) for f in PATTERN_FILLERS)
    ascii_value = next(v for v in fitting if re.search(limit.pattern, v))
    value = ascii_value[:2] + ascii_value[2:].translate(ARABIC_INDIC)
    client_reading_accepts = re.search(limit.pattern, value, re.ASCII) is not None
    url = _url(world, limit.path)
    for user in (world.member, world.author, world.admin):
        response = _send(client_for(user), limit, url, value)
        if response.status_code not in (403, 404):
            break
    refused = _errors_on(response, limit.name, value) is not None
    assert refused != client_reading_accepts, (str(limit), value, response.content[:300])
