"""Refuse, before any view runs, requests that carry a NUL character where no field accepts one."""

import re
from urllib.parse import unquote_plus, unquote_to_bytes

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A multipart part's headers that make it a file: `Content-Disposition: ...; filename="..."`.
FILE_PART = re.compile(rb";\s*filename\*?=", re.IGNORECASE)


def _multipart_carries_nul(body: bytes, boundary: bytes) -> bool:
    """A NUL in a part's headers (a field's name, a file's name) or in a field's value; a file's
    content may hold NUL bytes (an XLSX is a zip), and no string is built from it."""
    if not boundary:
        return NUL.encode() in body
    for part in body.split(b"--" + boundary):
        headers, _, content = part.partition(b"\r\n\r\n")
        if NUL.encode() in headers:
            return True
        if not FILE_PART.search(headers) and NUL.encode() in content:
            return True
    return False


def _carries_nul(request) -> bool:
    """True when the path, the query string or a form body holds a NUL, raw or percent-encoded.

    Form bodies are scanned as bytes rather than parsed, so the views' parsers and their limits
    answer exactly as before; in a multipart body, the content of an uploaded file may hold NUL
    bytes, nothing else may. JSON bodies are left to the serializers, whose string fields refuse
    NUL themselves.
    """
    if NUL in request.path or NUL in unquote_plus(request.META.get("QUERY_STRING", "")):
        return True
    if request.content_type not in FORM_TYPES:
        return False
    try:
        body = request.body
    except RequestDataTooBig:  # the view's own parser answers the oversized body
        return False
    if request.content_type == FORM_TYPES[1]:
        return _multipart_carries_nul(body, request.content_params.get("boundary", "").encode())
    return NUL.encode() in unquote_to_bytes(body.replace(b"+", b" "))


class RefuseNulMiddleware:
    """PostgreSQL cannot store or even compare a string holding NUL, so any query built from one
    fails: such a request is a 400 everywhere (the API's `{code, detail}` shape under /api/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _carries_nul(request):
            return self.get_response(request)
        # This runs before LocaleMiddleware: the answer takes the request's language itself.
        with translation.override(translation.get_language_from_request(request)):
            return self._refusal(request)

    @staticmethod
    def _refusal(request):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "null_character", "detail": _("The request carries a NUL character.")},
                status=400,
            )
        return HttpResponseBadRequest(
            _("Bad request: the request carries a NUL character."), content_type="text/plain"
        )


class ApiJsonNotFoundMiddleware:
    """Under /api/, a URL that matches no route (or an id of the wrong form) answers the API's
    JSON 404 rather than Django's HTML page, with DEBUG on or off, so every client can parse it.

    It sits outside CommonMiddleware, so a missing trailing slash is still redirected first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # Outside LocaleMiddleware: the detail takes the request's language itself.
            with translation.override(translation.get_language_from_request(request)):
                detail = _("Not found.")
            return JsonResponse({"code": "not_found", "detail": detail}, status=404)
        return response
