"""The body of a refused request, as the one handler renders every error: `{"code", "detail"}`
and, on a 400 for invalid input, `errors` (each offending field with its messages). The schema
documents each app's refusals with subclasses named for that app."""

from rest_framework import serializers


# A comment, not a docstring: drf-spectacular publishes a serializer's docstring, inherited ones
# included, as its component's description.
class ErrorShape(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


def field_errors(help_text: str) -> serializers.DictField:
    """The `errors` member of an invalid-input body: offending field → its messages."""
    return serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=help_text,
    )
