"""Phone numbers as members type them, read into the one form we store and text: E.164.

Iranians write a mobile number `09121234567`, `+989121234567`, `989121234567` or
`00989121234567`, with spaces, dashes or brackets, and often in Persian (۰-۹) or Arabic-Indic
(٠-٩) digits; all of them are the same number, `+989121234567`. A number without a country code
is read as Iranian. Google's libphonenumber (`phonenumbers`) knows each country's numbering plan,
so a number must also be one that can exist, and be able to receive a text message.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "IR"
# Longer than any typed number with its separators, short enough to refuse a pasted essay.
MAX_TYPED_LENGTH = 32
INVALID_PHONE = _(
    "Enter a mobile phone number, for example 09121234567 or +989121234567 (Persian digits are "
    "fine)."
)
# A sign-in code is texted to the number: numbers that cannot receive an SMS are refused.
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or len(raw) > MAX_TYPED_LENGTH:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(INVALID_PHONE, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number) or number.extension:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return number


def normalize_phone(raw: str) -> str:
    """The E.164 form (`+989121234567`) of a number as typed; `ValidationError` (code
    `invalid_phone`) when it is not a mobile number that can exist."""
    return phonenumbers.format_number(_parse(raw), phonenumbers.PhoneNumberFormat.E164)


def national_or_international(e164: str) -> str:
    """How Iranian SMS providers want a receptor: `09121234567` at home, `00` and the country
    code abroad."""
    number = phonenumbers.parse(e164, None)
    if number.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION):
        return f"0{number.national_number}"
    return "00" + e164.removeprefix("+")
