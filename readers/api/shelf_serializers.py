"""Shelves, favourites and the member's lists: input validates requests, output renders."""

from rest_framework import serializers

from catalog.api.serializers import BOOK_FIELDS, BookSerializer
from core.strict import StrictInput
from readers.models import Shelf


class ShelfInputSerializer(StrictInput):
    shelf = serializers.ChoiceField(choices=Shelf.choices)


class ShelfSerializer(serializers.Serializer):
    """The shelf the book is on among mine, since when."""

    shelf = serializers.ChoiceField(choices=Shelf.choices, read_only=True)
    added_at = serializers.DateTimeField(
        read_only=True, help_text="When the book was put on this shelf."
    )


class ShelfPlacementSerializer(ShelfSerializer):
    """Where a PUT left the book, with the book's figure after it."""

    want_to_read_count = serializers.IntegerField(
        read_only=True, help_text="Members with the book on their want-to-read shelf."
    )


class FavouriteSerializer(serializers.Serializer):
    favourite = serializers.BooleanField(read_only=True, default=True)
    added_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, favourite) -> dict:
        return {
            "favourite": True,
            "added_at": self.fields["added_at"].to_representation(favourite.added_at),
        }


class ListedBookSerializer(BookSerializer):
    """A book of one of my lists: the catalog's book, with when it joined the list."""

    added_at = serializers.DateTimeField(
        read_only=True, help_text="When the book was put on this list."
    )

    class Meta(BookSerializer.Meta):
        fields = [*BOOK_FIELDS, "added_at"]


class ListCountsSerializer(serializers.Serializer):
    """How many books each of my lists holds."""

    want_to_read = serializers.IntegerField(read_only=True)
    reading = serializers.IntegerField(read_only=True)
    read = serializers.IntegerField(read_only=True)
    favourites = serializers.IntegerField(read_only=True)
