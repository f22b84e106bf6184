from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotFound
from core.l10n import toman

WALLET_CHARGE_PATH = "/api/wallet/charge/"


class InsufficientFunds(DomainError):
    """402: the client sends the member to `charge_url` (also in `Location`) to top up the gap."""

    code = "insufficient_funds"
    http_status = 402
    default_detail = _("The wallet balance does not cover this payment.")

    def __init__(self, *, required_amount: int, balance: int) -> None:
        missing = required_amount - balance
        super().__init__(
            # Translators: the English text does not name the amount; a translation may name it
            # with %(missing)s, the amount still missing (e.g. "20,000 toman", already localised).
            gettext("The wallet balance does not cover this payment.")
            % {"missing": toman(missing)},
            required_amount=required_amount,
            balance=balance,
            missing_amount=missing,
            charge_url=f"{WALLET_CHARGE_PATH}?amount={missing}",
        )

    def headers(self) -> dict[str, str]:
        return {"Location": self.extra["charge_url"]}


class WalletNotFound(NotFound):
    code = "wallet_not_found"
    default_detail = _("This account has no wallet.")


class InvalidAmount(DomainError):
    code = "invalid_amount"
    default_detail = _("The amount must be a whole number of toman within the allowed range.")


class IdempotencyKeyReused(Conflict):
    """The key already answered a different request; reusing it for another body is a client bug."""

    code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used with a different request body.")


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_detail = _("No payment of this gateway has that reference.")


class InvalidSignature(DomainError):
    code = "invalid_signature"
    default_detail = _("The webhook signature is missing or does not match the body.")


class InvalidWebhookPayload(DomainError):
    code = "invalid_payload"
    default_detail = _("The webhook body is not a valid payment event.")


class PaymentAmountMismatch(DomainError):
    code = "amount_mismatch"
    default_detail = _("The event's amount differs from the payment's amount.")


class PaymentNotPending(Conflict):
    """Only a pending payment can succeed or fail; a final one never changes again."""

    code = "payment_not_pending"
    default_detail = _("The payment already has a different final status.")


class InvalidMembershipPurchase(DomainError):
    code = "invalid_membership_purchase"
    default_detail = _("Choose the plus or premium plan for 1 to 12 months.")


class PlanLimitsExceeded(Conflict):
    """A switch to a plan whose limits the member's active loans break: return loans first."""

    code = "plan_limits_exceeded"
    default_detail = _(
        "Your active reservations exceed the limits of that plan; return some first."
    )


class PaymentGatewayUnavailable(DomainError):
    """The gateway did not answer in time, answered 5xx or something unreadable: try again later."""

    code = "payment_gateway_unavailable"
    http_status = 503
    default_detail = _("The payment gateway cannot be reached right now; please try again shortly.")


class PaymentGatewayRefused(DomainError):
    """The gateway answered with one of its error codes (`gateway_code`): nothing was charged."""

    code = "payment_gateway_refused"
    http_status = 502
    default_detail = _("The payment gateway refused to start this payment.")
