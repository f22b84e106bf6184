"""The one place where errors become HTTP responses: `{"code", "detail", ...extra}`."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """DRF's handler for the whole API: every error answers `{"code", "detail", ...extra}`."""
    response = _own_response(exc)
    if response is not None:
        return response
    exc = _as_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _error_body(exc, response.data)
    return response


def _own_response(exc) -> Response | None:
    """The answer to an error DRF does not know: a domain error, a body too big or with too many
    fields, a constraint that said no."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status, headers=exc.headers())
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer would be an HTML 400 page; the API speaks JSON.
        return Response(
            {
                "code": "request_too_large",
                "detail": _("The body is over %(limit)s bytes.")
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, IntegrityError):
        # Constraints are the last line of defence: a write that slipped past the services'
        # checks (a race the locks did not cover) is a conflict, never a server error.
        logger.warning("integrity error turned into 409: %s", exc)
        return Response(
            {"code": "conflict", "detail": _("The request conflicts with the current state.")},
            status=status.HTTP_409_CONFLICT,
        )
    return None


def _as_drf_exception(exc):
    """Django's validation error, 404 and permission refusal as DRF's own exceptions."""
    if isinstance(exc, DjangoValidationError):
        # An entity's clean() said no inside a service: a 400 naming the fields.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _error_body(exc, data):
    """DRF's answer to `exc` reshaped as `{"code", "detail"}` (with `errors` for invalid input)."""
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return {"code": "invalid", "detail": _("Invalid input."), "errors": errors}
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        return {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "detail": str(exc.detail) if not isinstance(exc.detail, dict | list) else exc.detail,
        }
    return data
