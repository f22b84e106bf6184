"""The OpenAPI description of every operation, with the refusals every view shares declared once:
a generated client finds each status the API can answer, with its body, in the schema."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from core.error_shapes import ErrorSerializer, ValidationErrorSerializer

# Permissions that never refuse a signed-in caller: any other may answer 403.
_NEVER_FORBID = (permissions.AllowAny, permissions.IsAuthenticated)

RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before trying again.",
    "required": True,
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus, on each operation, the errors its shape implies (bad input,
    a bad token, a refused permission, a missing object, a body too big or not JSON) where the view
    did not describe them itself, and `Retry-After` on every 429."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, answer in self._implied_errors(path, operation).items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    answer, code, media_types=["application/json"]
                )
        for code in ("429", "503"):
            if code in responses:
                responses[code].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _implied_errors(self, path: str, operation: dict) -> dict[str, OpenApiResponse]:
        has_body = "requestBody" in operation
        has_input = has_body or any(
            parameter["in"] in ("query", "header") for parameter in operation.get("parameters", [])
        )
        implied = {}
        if has_input:
            implied["400"] = OpenApiResponse(
                ValidationErrorSerializer,
                description="`invalid`: `errors` names each offending field, parameter or header"
                + ("; `parse_error`: the body is not JSON." if has_body else "."),
            )
        if self.view.get_authenticators():
            anonymous_allowed = {} in operation.get("security", [{}])
            implied["401"] = OpenApiResponse(
                ErrorSerializer,
                description=(
                    "An invalid, expired or revoked access token (call without one)."
                    if anonymous_allowed
                    else "`not_authenticated`, or an invalid, expired or revoked access token."
                ),
            )
        if any(not isinstance(p, _NEVER_FORBID) for p in self.view.get_permissions()):
            implied["403"] = OpenApiResponse(
                ErrorSerializer, description="`permission_denied`: not allowed to you."
            )
        if "{" in path:
            implied["404"] = OpenApiResponse(
                ErrorSerializer, description="`not_found`: no such object, or not yours."
            )
        elif self._is_list_view() and self._get_paginator():
            implied["404"] = OpenApiResponse(
                ErrorSerializer, description="`not_found`: a page past the last one."
            )
        if has_body:
            implied["413"] = OpenApiResponse(
                ErrorSerializer, description="`request_too_large`: the body is too big."
            )
            implied["415"] = OpenApiResponse(
                ErrorSerializer,
                description="`unsupported_media_type`: the body is not application/json.",
            )
        return implied
