"""Input and output shapes of the accounts API. Inputs only validate; services do the writes."""

from datetime import datetime

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from rest_framework import serializers

from accounts.models import Customer, Language, Notification, User
from accounts.phones import MAX_TYPED_LENGTH
from accounts.selectors import prefetched_membership
from core.strict import StrictInput


def _cities():
    """The cities a customer may live in: the model his `city` field points to (the catalog's)."""
    return Customer._meta.get_field("city").related_model.objects.all()


def _password_min_length() -> int:
    """The shortest password the policy (`AUTH_PASSWORD_VALIDATORS`) can accept, so a new
    password's field states it; the policy's other rules are checked when it is set."""
    lengths = [
        validator.min_length
        for validator in get_default_password_validators()
        if isinstance(validator, MinimumLengthValidator)
    ]
    return max(lengths, default=1)


PASSWORD_MIN_LENGTH = _password_min_length()
PHONE_HELP = (
    "A mobile number as typed: 09121234567, +989121234567, 989121234567 or 00989121234567, "
    "with spaces or dashes, in Latin, Persian or Arabic-Indic digits; a number without a country "
    "code is Iranian. Stored and answered in E.164 (+989121234567)."
)
LANGUAGE_HELP = "The language of your SMS, emails and notifications: `en` or `fa`."
# A texted code: ASCII digits, as a client reads the schema's pattern.
SIX_DIGITS = r"^[0-9]{6}$"


def new_password_field(**kwargs) -> serializers.CharField:
    """A password being set: the policy's length bounds, whitespace kept."""
    return serializers.CharField(
        min_length=PASSWORD_MIN_LENGTH, max_length=128, trim_whitespace=False, **kwargs
    )


# --- inputs ---------------------------------------------------------------------------------------


def phone_field(**kwargs) -> serializers.CharField:
    """A mobile number as members type it; the service reads it into E.164 or answers 400."""
    return serializers.CharField(max_length=MAX_TYPED_LENGTH, help_text=PHONE_HELP, **kwargs)


class SignupInput(StrictInput):
    email = serializers.EmailField(max_length=254)
    phone = phone_field()
    password = new_password_field(write_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    city = serializers.PrimaryKeyRelatedField(queryset=_cities(), required=False, allow_null=True)
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        help_text=LANGUAGE_HELP + " Without it, the language of the request (Accept-Language).",
    )


class TokenInput(StrictInput):
    token = serializers.CharField(max_length=200)


class EmailInput(StrictInput):
    email = serializers.EmailField(max_length=254)


class LoginInput(StrictInput):
    username = serializers.CharField(
        max_length=254, help_text="Email, or mobile number in any of the forms a phone takes."
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginVerifyInput(StrictInput):
    otp_token = serializers.CharField(max_length=200)
    code = serializers.RegexField(SIX_DIGITS, help_text="The 6-digit code from the SMS.")


class RefreshInput(StrictInput):
    refresh = serializers.CharField(max_length=2000)


class PasswordChangeInput(StrictInput):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = new_password_field()


class PasswordResetConfirmInput(StrictInput):
    token = serializers.CharField(max_length=200)
    new_password = new_password_field()


class UserUpdateInput(StrictInput):
    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    phone = serializers.CharField(
        max_length=254,
        required=False,
        help_text="Only your current phone is accepted; a new one answers 400 `use_phone_change` "
        "(change it through `POST /api/users/me/phone/`).",
    )
    email = serializers.CharField(
        max_length=254,
        required=False,
        help_text="Only your current email is accepted; a new one answers 400 `use_email_change` "
        "(change it through `POST /api/users/me/email/`).",
    )
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text=LANGUAGE_HELP
    )


class PhoneChangeInput(StrictInput):
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    phone = phone_field()


class PhoneChangeConfirmInput(StrictInput):
    change_token = serializers.CharField(max_length=200)
    code = serializers.RegexField(SIX_DIGITS, help_text="The 6-digit code sent to the new number.")


class EmailChangeInput(StrictInput):
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    email = serializers.EmailField(max_length=254, help_text="The new address.")


class CustomerUpdateInput(StrictInput):
    city = serializers.PrimaryKeyRelatedField(queryset=_cities(), allow_null=True)
    address = serializers.CharField(max_length=255, allow_blank=True)
    date_of_birth = serializers.DateField(allow_null=True)


# --- outputs --------------------------------------------------------------------------------------


class OtpIssuedOutput(serializers.Serializer):
    otp_token = serializers.CharField(help_text="Opaque id of this login attempt.")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")


class PhoneChangeStartedOutput(serializers.Serializer):
    change_token = serializers.CharField(help_text="Opaque id of this phone change.")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "language",
            "is_active",
            "is_staff",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class CustomerOutput(serializers.ModelSerializer):
    """A customer from `customer_list_with_status` (no query per row)."""

    user = serializers.IntegerField(source="user_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    city = serializers.IntegerField(source="city_id", read_only=True, allow_null=True)
    city_name = serializers.SerializerMethodField()
    plan = serializers.SerializerMethodField(help_text="free, plus or premium, as of now.")
    plan_ends_at = serializers.SerializerMethodField(help_text="null on the free plan.")
    wallet_balance = serializers.SerializerMethodField(help_text="Whole toman.")
    active_reservations_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "user",
            "email",
            "first_name",
            "last_name",
            "city",
            "city_name",
            "address",
            "date_of_birth",
            "plan",
            "plan_ends_at",
            "wallet_balance",
            "active_reservations_count",
        ]
        read_only_fields = fields

    def get_city_name(self, customer) -> str | None:
        return customer.city.name if customer.city_id else None

    def get_plan(self, customer) -> str:
        membership = prefetched_membership(customer)
        return membership.plan if membership else "free"

    def get_plan_ends_at(self, customer) -> datetime | None:
        membership = prefetched_membership(customer)
        return membership.ends_at if membership else None

    def get_wallet_balance(self, customer) -> int:
        wallet = getattr(customer, "wallet", None)
        return wallet.balance if wallet is not None else 0


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "created_at", "read_at"]
        read_only_fields = fields
