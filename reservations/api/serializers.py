"""Input and output shapes of the reservations API (writes never go through a serializer's save)."""

from rest_framework import serializers

from accounts.models import Plan
from accounts.plans import MAX_RESERVATION_DAYS
from core.query import QueryBooleanField, QueryChoiceField
from core.strict import StrictInput
from reservations.models import QueueEntry, Reservation, ReservationStatus
from reservations.rules import REFUSALS


class ReserveInputSerializer(StrictInput):
    # An id, not the loaded book: the service locks the book and answers an unknown one
    # (400 naming `book`, as this field did when it loaded it).
    book = serializers.IntegerField(min_value=1, help_text="The book's id.")
    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_RESERVATION_DAYS,
        help_text="1 to the plan's maximum (plus 7, premium 14); beyond your plan's → 400 "
        "invalid_duration with `max_days`.",
    )


class RenewInputSerializer(StrictInput):
    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_RESERVATION_DAYS,
        help_text="The new total number of days (longer than now), at most the plan's maximum "
        "(beyond your plan's → 400 invalid_duration with `max_days`).",
    )


ESTIMATE_HELP = (
    "When a unit of the book would reach this entry (UTC), simulated from the holders' `ends_at` "
    "and the entries ahead in today's priority order, each keeping a unit for its requested days; "
    "suspended entries ahead are skipped while suspended, like the release walk skips them. "
    "Assumes no early returns, no new member joining ahead, every entry ahead served and no "
    "suspension changed; null when not waiting."
)
SUSPENDED_HELP = (
    "While this moment is in the future the release walk skips the entry (it keeps its place "
    "and counts in everyone's positions); null when not suspended."
)


class SuspendInputSerializer(StrictInput):
    until = serializers.DateTimeField(
        help_text="After now and at most 30 days ahead (else 400 `invalid_suspension`)."
    )


class ReturnQuerySerializer(serializers.Serializer):
    mark_as_read = QueryBooleanField(
        required=False,
        default=False,
        help_text='true: the returned book also moves to my "read" shelf.',
    )


class ReservationListQuerySerializer(serializers.Serializer):
    status = QueryChoiceField(choices=ReservationStatus.choices, required=False)


class ReservationSerializer(serializers.ModelSerializer):
    book_title = serializers.CharField(source="book.title", read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "book",
            "book_title",
            "days",
            "starts_at",
            "ends_at",
            "price",
            "discount_percent",
            "discount_reason",
            "status",
            "ended_at",
        ]
        read_only_fields = fields


class QueueEntrySerializer(serializers.ModelSerializer):
    book_title = serializers.CharField(source="book.title", read_only=True)
    position = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="1 = served next, as of now; suspended entries count. Null when not waiting.",
    )
    plan = serializers.ChoiceField(
        choices=Plan.choices,
        source="queue_plan",
        read_only=True,
        help_text="The plan deciding the order, as of now.",
    )
    suspended_until = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=SUSPENDED_HELP
    )
    estimated_available_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=ESTIMATE_HELP
    )

    class Meta:
        model = QueueEntry
        fields = [
            "id",
            "book",
            "book_title",
            "days",
            "queued_at",
            "status",
            "position",
            "plan",
            "suspended_until",
            "estimated_available_at",
        ]
        read_only_fields = fields


class QuoteSerializer(serializers.Serializer):
    book = serializers.IntegerField(source="book_id")
    days = serializers.IntegerField()
    plan = serializers.ChoiceField(choices=Plan.choices)
    base_price = serializers.IntegerField()
    discount_percent = serializers.IntegerField()
    discount_reason = serializers.CharField(allow_blank=True)
    price = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["instant", "queued"])
    position = serializers.IntegerField(allow_null=True)
    estimated_available_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When queued: when a unit would reach you if you joined now. " + ESTIMATE_HELP,
    )
    balance = serializers.IntegerField()
    blocked_by = serializers.ChoiceField(
        choices=sorted({answer.error.code for answer in REFUSALS.values()}),
        allow_null=True,
        help_text="The error code reserving would answer now, or null.",
    )


class HolderSerializer(serializers.ModelSerializer):
    reservation = serializers.IntegerField(source="id")
    customer = serializers.IntegerField(source="customer_id")
    email = serializers.EmailField(source="customer.user.email")

    class Meta:
        model = Reservation
        fields = ["reservation", "customer", "email", "days", "starts_at", "ends_at"]
        read_only_fields = fields


class WaiterSerializer(serializers.ModelSerializer):
    entry = serializers.IntegerField(source="id")
    customer = serializers.IntegerField(source="customer_id")
    email = serializers.EmailField(source="customer.user.email")
    position = serializers.IntegerField()
    plan = serializers.ChoiceField(choices=Plan.choices, source="queue_plan")
    suspended_until = serializers.DateTimeField(allow_null=True, help_text=SUSPENDED_HELP)
    estimated_available_at = serializers.DateTimeField(allow_null=True, help_text=ESTIMATE_HELP)

    class Meta:
        model = QueueEntry
        fields = [
            "entry",
            "customer",
            "email",
            "days",
            "queued_at",
            "position",
            "plan",
            "suspended_until",
            "estimated_available_at",
        ]
        read_only_fields = fields


class HoldersAndQueueSerializer(serializers.Serializer):
    book = serializers.IntegerField()
    holders = HolderSerializer(many=True)
    queue = WaiterSerializer(many=True)
