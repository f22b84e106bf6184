"""The auth service: every write about users, customers, credentials and tokens.

Views, the Django admin and tasks call these functions; none of them holds auth logic of its own.
Secrets (activation and reset links, login codes, `otp_token`) are random, handed out once and
stored only as an HMAC keyed with SECRET_KEY. Email and SMS leave only after the transaction commits.

One module per use-case family; this package re-exports their public names, so
`from accounts import services; services.user_login_start(...)` reads the same as before.
"""

from accounts.services._common import EMAIL_TAKEN, PHONE_TAKEN, TokenPair
from accounts.services.contact import (
    EMAIL_CHANGE_LIFETIME,
    EMAIL_CHANGE_REQUESTED_TEXT,
    EMAIL_CHANGED_TEXT,
    PHONE_CHANGE_LIFETIME,
    PHONE_CHANGE_SMS_TEXT,
    PHONE_CHANGED_TEXT,
    PhoneChangeStarted,
    user_email_change_confirm,
    user_email_change_start,
    user_phone_change_confirm,
    user_phone_change_start,
)
from accounts.services.notifications import credentials_purge_expired, notification_mark_read
from accounts.services.passwords import (
    PASSWORD_RESET_LIFETIME,
    password_change,
    password_reset_confirm,
    password_reset_request,
)
from accounts.services.profile import (
    CUSTOMER_EDITABLE_FIELDS,
    PROFILE_FIELDS,
    USER_EDITABLE_FIELDS,
    customer_update,
    user_deactivate,
    user_profile_update,
    user_update,
)
from accounts.services.signin import (
    OTP_LIFETIME,
    OTP_SMS_TEXT,
    OtpIssued,
    user_login_code_check,
    user_login_start,
    user_login_verify,
)
from accounts.services.signup import (
    ACTIVATION_LIFETIME,
    user_activate,
    user_activation_resend,
    user_signup,
)
from accounts.services.tokens import (
    REVOKE_TOKENS_PERMISSION,
    token_refresh,
    user_logout,
    user_revoke_tokens,
)

__all__ = [
    "ACTIVATION_LIFETIME",
    "CUSTOMER_EDITABLE_FIELDS",
    "EMAIL_CHANGED_TEXT",
    "EMAIL_CHANGE_LIFETIME",
    "EMAIL_CHANGE_REQUESTED_TEXT",
    "EMAIL_TAKEN",
    "OTP_LIFETIME",
    "OTP_SMS_TEXT",
    "PASSWORD_RESET_LIFETIME",
    "PHONE_CHANGED_TEXT",
    "PHONE_CHANGE_LIFETIME",
    "PHONE_CHANGE_SMS_TEXT",
    "PHONE_TAKEN",
    "PROFILE_FIELDS",
    "REVOKE_TOKENS_PERMISSION",
    "USER_EDITABLE_FIELDS",
    "OtpIssued",
    "PhoneChangeStarted",
    "TokenPair",
    "credentials_purge_expired",
    "customer_update",
    "notification_mark_read",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "token_refresh",
    "user_activate",
    "user_activation_resend",
    "user_deactivate",
    "user_email_change_confirm",
    "user_email_change_start",
    "user_login_code_check",
    "user_login_start",
    "user_login_verify",
    "user_logout",
    "user_phone_change_confirm",
    "user_phone_change_start",
    "user_profile_update",
    "user_revoke_tokens",
    "user_signup",
    "user_update",
]
