"""The strict input serializer on its own: each JSON kind a field takes, and what it refuses."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.inputs import no_input, validated
from core.strict import StrictInput


class Everything(StrictInput):
    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    flag = serializers.BooleanField(required=False)
    at = serializers.DateTimeField(required=False)
    size = serializers.ChoiceField(choices=[1, 2], required=False)
    groups = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(), many=True, required=False
    )
    shown = serializers.CharField(read_only=True)


class Unknown(StrictInput):
    ratio = serializers.FloatField()


def _errors(serializer_class, data) -> dict:
    with pytest.raises(ValidationError) as raised:
        validated(serializer_class, data)
    return raised.value.detail


@pytest.mark.parametrize(
    "body,message",
    [
        ({"name": 0}, "Must be a string, not an integer."),
        ({"name": False}, "Must be a string, not a boolean."),
        ({"count": "1"}, "Must be an integer, not a string."),
        ({"count": 1.0}, "Must be an integer, not a decimal number."),
        ({"count": True}, "Must be an integer, not a boolean."),
        ({"flag": 1}, "Must be true or false, not an integer."),
        ({"flag": "true"}, "Must be true or false, not a string."),
        ({"at": 1_700_000_000}, "Must be a string, not an integer."),
        ({"size": "1"}, "Must be an integer, not a string."),
        ({"groups": {"1": 1}}, "Must be a list, not an object."),
        ({"groups": [None, "2"]}, "Item 0 must be an integer, not null."),
        ({"shown": "x"}, "This field is read-only."),
        ({"other": "x"}, "This request does not take this field."),
    ],
)
def test_a_field_it_does_not_take_or_a_value_of_the_wrong_kind_is_refused(body, message):
    (field,) = body
    assert str(_errors(Everything, body)[field][0]) == message


def test_every_list_item_of_the_wrong_kind_is_named():
    errors = _errors(Everything, {"groups": [None, "2"]})
    assert [str(message) for message in errors["groups"]] == [
        "Item 0 must be an integer, not null.",
        "Item 1 must be an integer, not a string.",
    ]


@pytest.mark.django_db
def test_values_of_the_right_kind_pass_to_the_fields_own_validation():
    group = Group.objects.create(name="readers")
    data = validated(
        Everything,
        {
            "name": "x",
            "count": 3,
            "flag": False,
            "at": "2030-01-01T00:00:00Z",
            "size": 2,
            "groups": [group.pk],
        },
    )
    assert (data["count"], data["flag"], data["size"], data["groups"]) == (3, False, 2, [group])


def test_null_is_left_to_the_fields_own_validation():
    assert str(_errors(Everything, {"count": None})["count"][0]) == "This field may not be null."


def test_a_write_without_input_takes_an_empty_body_only():
    no_input({})
    with pytest.raises(ValidationError) as raised:
        no_input({"page": 1})
    assert list(raised.value.detail) == ["page"]


def test_a_field_type_it_does_not_know_is_a_programming_error():
    with pytest.raises(ImproperlyConfigured):
        validated(Unknown, {"ratio": 0.5})
