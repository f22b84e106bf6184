"""Request and response bodies of the reports members send to the moderators."""

from rest_framework import serializers

from core.strict import StrictInput
from readers.models import MODERATION_REASON_MAX_LENGTH, Report, ReportReason


class ReportInputSerializer(StrictInput):
    """Why the item should be looked at: one of the reasons, and optionally a note in words."""

    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(
        max_length=MODERATION_REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ReportSerializer(serializers.ModelSerializer):
    """A report as its sender sees it: what they said, and whether staff have acted on it."""

    class Meta:
        model = Report
        fields = ["id", "reason", "note", "status", "created_at"]
        read_only_fields = fields
