"""Likes and dislikes: the one input (`reaction`) and the answer with the item's figures."""

from rest_framework import serializers

from core.strict import StrictInput
from readers.models import Reaction


class ReactionInputSerializer(StrictInput):
    reaction = serializers.ChoiceField(choices=Reaction.choices)


class ReactionSerializer(serializers.Serializer):
    """My reaction and the item's likes and dislikes after it."""

    reaction = serializers.ChoiceField(choices=Reaction.choices, read_only=True)
    like_count = serializers.IntegerField(read_only=True)
    dislike_count = serializers.IntegerField(read_only=True)
