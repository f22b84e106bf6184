"""Reviews and replies: inputs (plain text, lengths as stored) and answers (writers by display
name only)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.query import QueryChoiceField
from core.strict import StrictInput
from readers.models import (
    REPLY_BODY_MAX_LENGTH,
    REVIEW_BODY_MAX_LENGTH,
    REVIEW_TITLE_MAX_LENGTH,
    Reply,
    Review,
)
from readers.selectors.reviews import DEFAULT_REVIEW_ORDERING, REVIEW_ORDERINGS, display_name

PLAIN_TEXT = "Plain text, stored and answered as written (never rendered as HTML)."


class ReviewInputSerializer(StrictInput):
    title = serializers.CharField(
        max_length=REVIEW_TITLE_MAX_LENGTH, required=False, allow_blank=True
    )
    body = serializers.CharField(
        max_length=REVIEW_BODY_MAX_LENGTH, trim_whitespace=False, help_text=PLAIN_TEXT
    )

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Write something."))
        return value


class ReplyInputSerializer(StrictInput):
    body = serializers.CharField(
        max_length=REPLY_BODY_MAX_LENGTH, trim_whitespace=False, help_text=PLAIN_TEXT
    )

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Write something."))
        return value


class ReviewListQuerySerializer(serializers.Serializer):
    ordering = QueryChoiceField(
        choices=list(REVIEW_ORDERINGS),
        required=False,
        default=DEFAULT_REVIEW_ORDERING,
        help_text="newest (default) or most_liked; ties by id, newest first.",
    )


class _Written(serializers.ModelSerializer):
    writer = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField()

    def get_hidden(self, item) -> bool:
        return item.is_hidden


class ReviewSerializer(_Written):
    """A review; `hidden` (with `hidden_reason`) is only ever true for its own writer."""

    class Meta:
        model = Review
        fields = [
            "id",
            "book",
            "writer",
            "title",
            "body",
            "verified_reader",
            "like_count",
            "dislike_count",
            "reply_count",
            "created_at",
            "updated_at",
            "hidden",
            "hidden_reason",
        ]
        read_only_fields = fields

    def get_writer(self, review) -> str:
        return display_name(review.customer.user)


class ReplySerializer(_Written):
    """A reply; `by_book_author` marks one written by an author of the reviewed book."""

    class Meta:
        model = Reply
        fields = [
            "id",
            "review",
            "writer",
            "body",
            "by_book_author",
            "created_at",
            "updated_at",
            "hidden",
        ]
        read_only_fields = fields

    def get_writer(self, reply) -> str:
        return display_name(reply.user)
