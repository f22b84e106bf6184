"""Serializer fields for query parameters, validated exactly as the schema states them."""

import re

from rest_framework import serializers
from rest_framework.fields import empty


class QueryParameterMixin:
    """A parameter present with an empty value is validated like any other value, so `?status=`
    is a 400 naming it; DRF's form handling would take it for an absent parameter."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)


class QueryChoiceField(QueryParameterMixin, serializers.ChoiceField):
    """One of the choices; empty or anything else is a 400 naming the parameter."""


class QueryBooleanField(QueryParameterMixin, serializers.BooleanField):
    """`true` or `false`, as the schema's boolean is written in a query string; empty or anything
    else (DRF would also read `yes`, `on`, `1`...) is a 400 naming the parameter."""

    def to_internal_value(self, data):
        if data not in ("true", "false"):
            self.fail("invalid")
        return data == "true"


class QueryIntegerField(QueryParameterMixin, serializers.IntegerField):
    """A query-string integer: ASCII digits only (no sign, decimal point or exponent)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,18}", data):
            self.fail("invalid")
        return super().to_internal_value(data)
