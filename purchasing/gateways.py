"""Payment gateways: an interface with pluggable backends chosen by `PAYMENT_GATEWAY` (like SMS_BACKEND).

`DevelopmentGateway` (the default) succeeds at once. `WebhookGateway` behaves like a real provider:
the payment stays pending until the provider calls `POST /api/payments/webhook/` with a body signed
by HMAC-SHA256 under `PAYMENT_WEBHOOK_SECRET`. A real provider is one more subclass: `begin` opens
the checkout, `parse_event` reads and authenticates the provider's notification.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from purchasing.errors import InvalidSignature, InvalidWebhookPayload
from purchasing.models import Payment, PaymentStatus

SIGNATURE_HEADER = "X-Signature"
# The outcomes an event reports, and the longest reference it may name (the payment's column).
EVENT_STATUSES = (PaymentStatus.SUCCEEDED.value, PaymentStatus.FAILED.value)
REFERENCE_MAX_LENGTH = Payment._meta.get_field("gateway_reference").max_length


@dataclass(frozen=True)
class Checkout:
    """What a gateway answers when a charge begins."""

    reference: str
    succeeded: bool  # True: the money is already collected; False: wait for the webhook


@dataclass(frozen=True)
class PaymentEvent:
    """An authenticated notification from the gateway about one payment."""

    reference: str
    succeeded: bool
    amount: int


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of the raw body: what the provider puts in `X-Signature`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PaymentGateway:
    name: str = ""

    def begin(self, *, payment: Payment) -> Checkout:
        raise NotImplementedError

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Authenticate the raw body first (nothing is parsed before), then read the event."""
        secret = settings.PAYMENT_WEBHOOK_SECRET
        signature = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
        if not secret or not signature or not hmac.compare_digest(sign(body, secret), signature):
            raise InvalidSignature()
        return _read_event(body)


class DevelopmentGateway(PaymentGateway):
    """Collects nothing and succeeds at once: for `make run` and tests."""

    name = "development"

    def begin(self, *, payment: Payment) -> Checkout:
        return Checkout(reference=f"dev-{uuid.uuid4().hex}", succeeded=True)


class WebhookGateway(PaymentGateway):
    """A provider that confirms later: the payment stays pending until its signed webhook arrives."""

    name = "webhook"

    def begin(self, *, payment: Payment) -> Checkout:
        return Checkout(reference=f"wh-{uuid.uuid4().hex}", succeeded=False)


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


def _read_event(body: bytes) -> PaymentEvent:
    """`{"reference": str, "status": "succeeded" | "failed", "amount": int}`."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidWebhookPayload(errors={"body": ["Not valid JSON."]}) from None
    if not isinstance(data, dict):
        raise InvalidWebhookPayload(errors={"body": ["Expected a JSON object."]})
    errors = {}
    reference, status, amount = data.get("reference"), data.get("status"), data.get("amount")
    if not isinstance(reference, str) or not 0 < len(reference) <= REFERENCE_MAX_LENGTH:
        errors["reference"] = [f"A string of 1 to {REFERENCE_MAX_LENGTH} characters is required."]
    if status not in EVENT_STATUSES:
        errors["status"] = ['Must be "succeeded" or "failed".']
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = ["A positive whole number is required."]
    if errors:
        raise InvalidWebhookPayload(errors=errors)
    return PaymentEvent(
        reference=reference, succeeded=status == PaymentStatus.SUCCEEDED, amount=amount
    )
