"""The bodies of refused requests, as the one handler renders every error: `{"code", "detail"}`
plus the extras a refusal carries. One family for the whole API: `Error` (every extra typed and
optional), `ValidationError` (a 400 naming the offending fields) and `InsufficientFunds` (a 402,
its amounts always present)."""

from rest_framework import serializers

# Comments, not docstrings, on the classes below: drf-spectacular publishes a serializer's
# docstring as its component's description, and the component's fields say it all.

CODE_HELP = "Machine-readable reason; each response of an operation lists the codes it answers."


def field_errors(*, required: bool) -> serializers.DictField:
    """The `errors` member of an invalid-input body: offending field → its messages."""
    return serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=required,
        help_text="Each offending field (a body field, query parameter or header) → its messages.",
    )


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=CODE_HELP)
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = field_errors(required=False)
    # The extras, each sent only with the codes named in its help.
    required_amount = serializers.IntegerField(required=False, help_text="`insufficient_funds`.")
    balance = serializers.IntegerField(required=False, help_text="`insufficient_funds`.")
    missing_amount = serializers.IntegerField(required=False, help_text="`insufficient_funds`.")
    charge_url = serializers.CharField(
        required=False,
        help_text="`insufficient_funds`: /api/wallet/charge/?amount=<missing_amount>",
    )
    max_amount = serializers.IntegerField(required=False, help_text="`invalid_amount`.")
    expected_amount = serializers.IntegerField(required=False, help_text="`amount_mismatch`.")
    gateway_code = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="`payment_gateway_refused` / `payment_gateway_unavailable`: the payment "
        "gateway's own error code (Zarinpal's, e.g. -9, -10, -11, -12), null when it gave none.",
    )
    status = serializers.CharField(
        required=False,
        help_text="`payment_not_pending`, `reservation_not_active`, `queue_entry_not_waiting`: "
        "the object's current status.",
    )
    max_days = serializers.IntegerField(
        required=False, help_text="`invalid_duration`, `plan_limits_exceeded`."
    )
    current_days = serializers.IntegerField(required=False, help_text="`shortening_refused`.")
    latest_until = serializers.DateTimeField(required=False, help_text="`invalid_suspension`.")
    attempts_left = serializers.IntegerField(required=False, help_text="`invalid_code`.")
    retry_after = serializers.IntegerField(
        required=False, help_text="`throttled`, `login_locked`: seconds, as in Retry-After."
    )
    limit = serializers.IntegerField(
        required=False, help_text="`reservation_limit_reached`: the plan's most active ones."
    )
    plan = serializers.CharField(required=False, help_text="`plan_limits_exceeded`.")
    active_reservations = serializers.IntegerField(
        required=False, help_text="`active_reservations`, `plan_limits_exceeded`."
    )
    max_reservations = serializers.IntegerField(required=False, help_text="`plan_limits_exceeded`.")
    longest_active_days = serializers.IntegerField(
        required=False, help_text="`plan_limits_exceeded`."
    )
    units_on_loan = serializers.IntegerField(required=False, help_text="`units_on_loan`.")
    minimum_total_units = serializers.IntegerField(required=False, help_text="`units_on_loan`.")
    book_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="`sole_author_of_books`."
    )


class ValidationErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["invalid", "parse_error", "null_character"],
        help_text="`invalid` names the offending fields in `errors`; `parse_error` is a body "
        "that is not JSON; `null_character` is a NUL character anywhere in the request.",
    )
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = field_errors(required=False)


class InsufficientFundsSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["insufficient_funds"])
    detail = serializers.CharField(help_text="What went wrong, for people.")
    required_amount = serializers.IntegerField()
    balance = serializers.IntegerField()
    missing_amount = serializers.IntegerField()
    charge_url = serializers.CharField(help_text="/api/wallet/charge/?amount=<missing_amount>")


class AcceptedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["accepted"])
    detail = serializers.CharField(help_text="What happens next, for people.")
