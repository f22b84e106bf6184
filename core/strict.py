"""Strict request bodies: a field the request does not take, or a value of the wrong JSON type, is
a 400 naming the field, never coerced ("0" for 0) or silently dropped; and the schema says so.

Every input serializer of a request body derives from `StrictInput`; a write that takes no body
validates it with `NoInput`. `strict_request_bodies` marks their schema components
`additionalProperties: false`.
"""

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

# The JSON kinds a field takes, and each as the message names it.
STRING, INTEGER, BOOLEAN, ARRAY = "a string", "an integer", "true or false", "a list"
KIND_NAMES = {
    STRING: gettext_lazy("a string"),
    INTEGER: gettext_lazy("an integer"),
    BOOLEAN: gettext_lazy("true or false"),
    ARRAY: gettext_lazy("a list"),
}
UNKNOWN_FIELD = gettext_lazy("This request does not take this field.")
READ_ONLY_FIELD = gettext_lazy("This field is read-only.")


def _json_kind_of(value) -> str:
    """What the caller sent, as a message names it."""
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, int):
        return _("an integer")
    if isinstance(value, float):
        return _("a decimal number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _is_kind(value, kind: str) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return isinstance(value, {STRING: str, INTEGER: int, ARRAY: list}[kind])


def _choice_kind(field: serializers.ChoiceField) -> str:
    if all(isinstance(key, str) for key in field.choices):
        return STRING
    if all(_is_kind(key, INTEGER) for key in field.choices):
        return INTEGER
    raise ImproperlyConfigured(f"{field!r}: choices of mixed types have no one JSON kind.")


def _pk_kind(field: serializers.PrimaryKeyRelatedField) -> str:
    pk = field.get_queryset().model._meta.pk
    return INTEGER if isinstance(pk, models.IntegerField) else STRING


def _kind(field: serializers.Field) -> tuple[str, serializers.Field | None]:
    """The JSON kind `field` takes, and the field of its items when it takes a list. A field type
    this table does not know is a programming error, raised rather than let through."""
    if isinstance(field, serializers.ManyRelatedField):
        return ARRAY, field.child_relation
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        return _pk_kind(field), None
    if isinstance(field, serializers.ChoiceField):
        return _choice_kind(field), None
    if isinstance(field, serializers.BooleanField):
        return BOOLEAN, None
    if isinstance(field, serializers.IntegerField):
        return INTEGER, None
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField):
        return STRING, None
    raise ImproperlyConfigured(f"{field!r} takes no known JSON kind: teach core.strict its type.")


def _type_errors(field: serializers.Field, value) -> list[str]:
    """Why `value` is of the wrong JSON type for `field`: none when right, or when null (the
    field's own validation answers null)."""
    return [] if value is None else _wrong_kind(field, value)


def _wrong_kind(field: serializers.Field, value, index: int | None = None) -> list[str]:
    """Why `value` (the item at `index` of a list, when given) is of the wrong JSON type."""
    kind, item_field = _kind(field)
    if not _is_kind(value, kind):
        names = {"kind": KIND_NAMES[kind], "sent": _json_kind_of(value)}
        if index is None:
            return [_("Must be %(kind)s, not %(sent)s.") % names]
        return [_("Item %(index)s must be %(kind)s, not %(sent)s.") % {**names, "index": index}]
    if item_field is None:
        return []
    return [
        message
        for item_index, item in enumerate(value)
        for message in _wrong_kind(item_field, item, item_index)
    ]


class StrictInput(serializers.Serializer):
    """A request body's serializer that refuses, before DRF's own validation coerces or drops
    anything, each field it does not take (unknown or read-only) and each value of the wrong JSON
    type, naming the field."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, value in data.items():
                field = self.fields.get(name)
                if field is None:
                    errors[name] = [UNKNOWN_FIELD]
                elif field.read_only:
                    errors[name] = [READ_ONLY_FIELD]
                elif messages := _type_errors(field, value):
                    errors[name] = messages
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)


class NoInput(StrictInput):
    """The body of a write that takes none: empty, or `{}`."""


def strict_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook: the request-body component of each `StrictInput`
    says what the API does, `additionalProperties: false`."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in _request_body_components(result):
        serializer = generator.registry[(name, ResolvedComponent.SCHEMA)].object
        if isinstance(serializer, StrictInput):
            schemas[name]["additionalProperties"] = False
    return result


def _request_body_components(result) -> set[str]:
    """The names of the schema components that request bodies refer to."""
    return {
        media["schema"]["$ref"].rsplit("/", 1)[1]
        for item in result["paths"].values()
        for operation in item.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if "$ref" in media["schema"]
    }
