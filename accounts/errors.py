"""Domain errors of the accounts app; the project's exception handler renders them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError
from core.l10n import is_persian, persian_digits


class InvalidInput(DomainError):
    """A 400 shaped like a validation error: `errors` maps each offending field to messages."""

    code = "invalid"
    http_status = 400
    default_detail = _("Invalid input.")

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        # Rendered now, in the active language: lazy texts would not join or compare as str.
        errors = {field: [str(text) for text in texts] for field, texts in errors.items()}
        super().__init__(detail, errors=errors)


class AlreadyRegistered(InvalidInput):
    code = "already_registered"
    default_detail = _("An account with these details already exists.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    http_status = 401
    default_detail = _("The username or password is wrong.")


class AccountInactive(DomainError):
    code = "account_inactive"
    http_status = 403
    default_detail = _("This account is not active. Confirm your email address first.")


class TooManyAttempts(DomainError):
    code = "throttled"
    http_status = 429
    default_detail = _("Too many attempts. Try again later.")
    detail_template = _("Too many attempts. Try again in %(retry_after)s seconds.")

    def __init__(self, *, retry_after: int) -> None:
        seconds = persian_digits(str(retry_after)) if is_persian() else str(retry_after)
        super().__init__(self.detail_template % {"retry_after": seconds})
        self.extra = {"retry_after": retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.extra["retry_after"])}


class OtpTokenInvalid(DomainError):
    code = "otp_token_invalid"
    http_status = 400
    default_detail = _("This login attempt is unknown, already used or burned. Sign in again.")


class OtpExpired(DomainError):
    code = "otp_expired"
    http_status = 400
    default_detail = _("The code has expired. Sign in again to get a new one.")


class InvalidCode(DomainError):
    code = "invalid_code"
    http_status = 400
    default_detail = _("The code is wrong.")


class LinkTokenInvalid(DomainError):
    code = "token_invalid"
    http_status = 400
    default_detail = _("This link is invalid or has already been used.")


class LinkTokenExpired(DomainError):
    code = "token_expired"
    http_status = 400
    default_detail = _("This link has expired. Ask for a new one.")


class TokenNotValid(DomainError):
    """A refresh token that is malformed, expired, blacklisted, rotated already or revoked."""

    code = "token_not_valid"
    http_status = 401
    default_detail = _("The token is invalid, expired or revoked.")


class CannotRevokeAdmin(DomainError):
    code = "cannot_revoke_admin"
    http_status = 403
    default_detail = _("The tokens of an admin cannot be revoked.")


class AdminOnly(DomainError):
    """Refused as Django's admin would refuse it: not staff, or without the model permission."""

    code = "permission_denied"
    http_status = 403
    default_detail = _("Only staff with the permission for this operation may do this.")


class ActiveReservations(Conflict):
    code = "active_reservations"
    default_detail = _("Return your reserved books before deleting your account.")


class LoginCodeLocked(TooManyAttempts):
    """Too many wrong login codes for this account: its second step is locked for a while."""

    code = "login_locked"
    detail_template = _(
        "Too many wrong codes: signing in to this account is locked. "
        "Try again in %(retry_after)s seconds."
    )


class UsePhoneChange(InvalidInput):
    """The profile update refuses a new phone: the second factor changes only with proof."""

    code = "use_phone_change"
    default_detail = _(
        "The phone number changes through POST /api/users/me/phone/ "
        "(your password, then the code sent to the new number)."
    )

    def __init__(self) -> None:
        super().__init__({"phone": [str(self.default_detail)]})


class UseEmailChange(InvalidInput):
    """The profile update refuses a new email: the new address must prove it receives mail."""

    code = "use_email_change"
    default_detail = _(
        "The email address changes through POST /api/users/me/email/ "
        "(your password, then the link mailed to the new address)."
    )

    def __init__(self) -> None:
        super().__init__({"email": [str(self.default_detail)]})


class PhoneChangeInvalid(DomainError):
    code = "change_token_invalid"
    http_status = 400
    default_detail = _("This phone change is unknown, already used or burned. Start again.")


class PhoneChangeExpired(DomainError):
    code = "change_expired"
    http_status = 400
    default_detail = _("The code has expired. Start the phone change again to get a new one.")


class CustomerRequired(DomainError):
    """An account without a member profile asked for what only members do (reserve, rate)."""

    code = "customer_required"
    http_status = 403
    default_detail = _("Only accounts with a member profile can do this.")


class SmsUnavailable(DomainError):
    """The SMS provider refused or did not answer: the code was not sent, nothing was spent, and
    asking again shortly is the remedy."""

    code = "sms_unavailable"
    http_status = 503
    default_detail = _("The text message with your code could not be sent. Try again in a minute.")
    retry_after = 60

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
