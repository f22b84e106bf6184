"""Input validation and output shapes of the wallet, payment and membership endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Membership, Plan
from core.query import QueryChoiceField, QueryIntegerField, QueryParameterMixin
from core.strict import StrictInput
from purchasing.gateways import AUTHORITY_PATTERN, EVENT_STATUSES, REFERENCE_MAX_LENGTH
from purchasing.models import Payment, PaymentStatus, Wallet, WalletTransaction
from purchasing.services import MAX_CHARGE_AMOUNT, MAX_MEMBERSHIP_MONTHS, PURCHASABLE_PLANS

# --- Inputs -------------------------------------------------------------------------------------


class ChargeInputSerializer(StrictInput):
    amount = serializers.IntegerField(
        min_value=1, max_value=MAX_CHARGE_AMOUNT, help_text="Whole toman, a JSON integer."
    )


class ChargeQuerySerializer(serializers.Serializer):
    amount = QueryIntegerField(
        min_value=1,
        max_value=MAX_CHARGE_AMOUNT,
        required=False,
        help_text="Whole toman, digits only (optional).",
    )


class QueryRegexField(QueryParameterMixin, serializers.RegexField):
    """A query parameter matching a pattern; empty or anything else is a 400 naming it."""


class ZarinpalCallbackQuerySerializer(serializers.Serializer):
    """What Zarinpal appends to the callback URL. `Status` is only a hint: the payment's outcome
    is what verify.json answers."""

    Authority = QueryRegexField(
        AUTHORITY_PATTERN,
        max_length=REFERENCE_MAX_LENGTH,
        help_text="The payment's authority, as request.json gave it.",
    )
    Status = QueryChoiceField(choices=["OK", "NOK"])


class MembershipPurchaseInputSerializer(StrictInput):
    plan = serializers.ChoiceField(choices=PURCHASABLE_PLANS)
    months = serializers.IntegerField(min_value=1, max_value=MAX_MEMBERSHIP_MONTHS)


# --- Outputs ------------------------------------------------------------------------------------


class WalletSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wallet
        fields = ["balance", "updated_at"]
        read_only_fields = fields


class WalletTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = WalletTransaction
        fields = ["id", "kind", "amount", "balance_after", "reference", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "amount",
            "status",
            "gateway",
            "gateway_reference",
            "payment_url",
            "gateway_receipt",
            "idempotency_key",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    payment_url = serializers.SerializerMethodField(
        help_text="While pending: the gateway's page to send the member to (null otherwise)."
    )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_payment_url(self, payment: Payment) -> str | None:
        if payment.status != PaymentStatus.PENDING or not payment.payment_url:
            return None
        return payment.payment_url


class ChargeFormSerializer(serializers.Serializer):
    """The pre-filled charge form: `amount` from `?amount=` (null without it) and the allowed range."""

    amount = serializers.IntegerField(allow_null=True)
    min_amount = serializers.IntegerField()
    max_amount = serializers.IntegerField()


class WebhookAnswerSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    duplicate = serializers.BooleanField(help_text="True: this outcome was already recorded.")


class WebhookEventSerializer(serializers.Serializer):
    """Documentation only: the view authenticates and reads the raw body itself."""

    reference = serializers.CharField(
        max_length=REFERENCE_MAX_LENGTH, help_text="The payment's gateway_reference."
    )
    status = serializers.ChoiceField(choices=EVENT_STATUSES)
    amount = serializers.IntegerField(min_value=1)


class PlanSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=Plan.choices)
    price_per_30_days = serializers.IntegerField(source="price_per_period")
    purchasable = serializers.SerializerMethodField()
    may_reserve = serializers.BooleanField()
    max_days = serializers.IntegerField(help_text="Longest single reservation, in days.")
    max_active_reservations = serializers.IntegerField()
    queue_priority = serializers.SerializerMethodField(
        help_text='"first" (served before others), "normal", or null (cannot queue).'
    )

    def get_purchasable(self, rules) -> bool:
        return rules.plan in PURCHASABLE_PLANS

    @extend_schema_field(serializers.ChoiceField(choices=["first", "normal"], allow_null=True))
    def get_queue_priority(self, rules) -> str | None:
        if not rules.may_reserve:
            return None
        return "first" if rules.plan == Plan.PREMIUM else "normal"


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "plan", "starts_at", "ends_at", "price_paid"]
        read_only_fields = fields


class CurrentMembershipSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=Plan.choices)
    membership = MembershipSerializer(allow_null=True, help_text="Null on the free plan.")
    rules = PlanSerializer()


class MembershipPurchaseSerializer(serializers.Serializer):
    membership = MembershipSerializer()
    charged = serializers.IntegerField(help_text="Debited from the wallet (membership_fee).")
    refunded = serializers.IntegerField(help_text="Unused whole days of the replaced plan.")
    discounts_repaid = serializers.IntegerField(
        help_text=(
            "Taken back from the refund: the 100% reservation discounts that only the refunded "
            "money had unlocked (one reservation_fee ledger row per reservation)."
        )
    )
    balance = serializers.IntegerField(help_text="The wallet balance afterwards.")
