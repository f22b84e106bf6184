"""The OpenAPI document as `GET /api/schema/` serves it, for the tests that read the contract."""

import json

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


def openapi_document() -> dict:
    """The served document as plain JSON (that view needs an admin when DEBUG is off)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))
