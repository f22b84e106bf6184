"""Request input for the API's views: one serializer validates it before one service sees it."""

from rest_framework.serializers import Serializer

from core.strict import NoInput


def validated(serializer_class: type[Serializer], data, *, partial: bool = False) -> dict:
    """The validated data of `serializer_class` over `data`; invalid input raises DRF's
    ValidationError, which the handler answers with a 400 naming each offending field."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def no_input(data) -> None:
    """The body of a write that takes none: any field in it is a 400 naming the field."""
    validated(NoInput, data)
