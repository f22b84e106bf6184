"""Payment gateways: an interface with pluggable backends chosen by `PAYMENT_GATEWAY` (like SMS_BACKEND).

`DevelopmentGateway` (the default) succeeds at once. `WebhookGateway` behaves like a real provider:
the payment stays pending until the provider calls `POST /api/payments/webhook/` with a body signed
by HMAC-SHA256 under `PAYMENT_WEBHOOK_SECRET`. `ZarinpalGateway` speaks Zarinpal's v4 REST
protocol: the member pays on Zarinpal's page and comes back to our callback, and only Zarinpal's
answer to our own verify call settles the payment. A provider is one subclass: `begin` opens the
checkout, `parse_event` reads and authenticates a notification, `verify` asks for the outcome.
"""

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from purchasing.errors import (
    InvalidSignature,
    InvalidWebhookPayload,
    PaymentGatewayRefused,
    PaymentGatewayUnavailable,
)
from purchasing.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
# The outcomes an event reports, and the longest reference it may name (the payment's column).
EVENT_STATUSES = (PaymentStatus.SUCCEEDED.value, PaymentStatus.FAILED.value)
REFERENCE_MAX_LENGTH = Payment._meta.get_field("gateway_reference").max_length


@dataclass(frozen=True)
class Checkout:
    """What a gateway answers when a charge begins."""

    reference: str
    succeeded: bool  # True: the money is already collected; False: wait for the gateway's verdict
    url: str = ""  # the gateway's page the client sends the member to, when there is one


@dataclass(frozen=True)
class Verification:
    """The gateway's verdict on one payment: `succeeded` True or False, or None when it could not
    be had (a timeout, a 5xx, an error that says nothing about the payment): it stays pending."""

    succeeded: bool | None
    code: int | None = None
    receipt: str = ""


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
    uses_webhook_secret = True  # its payments are settled by the signed webhook

    def begin(self, *, payment: Payment) -> Checkout:
        raise NotImplementedError

    def verify(self, *, payment: Payment) -> Verification:
        """Ask the gateway about a pending payment (gateways that settle by webhook cannot)."""
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
    uses_webhook_secret = False

    def begin(self, *, payment: Payment) -> Checkout:
        return Checkout(reference=f"dev-{uuid.uuid4().hex}", succeeded=True)


class WebhookGateway(PaymentGateway):
    """A provider that confirms later: the payment stays pending until its signed webhook arrives."""

    name = "webhook"

    def begin(self, *, payment: Payment) -> Checkout:
        return Checkout(reference=f"wh-{uuid.uuid4().hex}", succeeded=False)


# --- Zarinpal (v4 REST: POST /pg/v4/payment/request.json and verify.json, JSON in and out) ------

ZARINPAL_LIVE_URL = "https://payment.zarinpal.com"
ZARINPAL_SANDBOX_URL = "https://sandbox.zarinpal.com"
# An authority is a letter and digits (`A0000…217885159`); anything else never reaches a URL.
AUTHORITY_PATTERN = rf"^[A-Za-z0-9]{{1,{REFERENCE_MAX_LENGTH}}}$"
# verify.json: 100 verified now, 101 verified before (both mean the money is ours).
ZARINPAL_VERIFIED = (100, 101)
# verify.json errors that settle the payment as failed: -50 the amount differs from the
# request's, -51 not paid (cancelled or declined), -53 the authority is another merchant's,
# -54 no such authority. Others (-9 validation, -10/-11 merchant, -12 too many attempts, -52
# Zarinpal's own error) say nothing about the payment: it stays pending for the sweep.
ZARINPAL_VERIFY_FAILURES = (-50, -51, -53, -54)
ZARINPAL_TOO_MANY_ATTEMPTS = -12


class _NoAnswer(Exception):
    """No usable answer: a transport error, a timeout, a 5xx, or a body that is not Zarinpal's."""


class ZarinpalGateway(PaymentGateway):
    """Zarinpal in toman (`currency: "IRT"`, so our amounts go as they are). The payment stays
    pending until `verify` hears code 100 or 101 for the amount in our database."""

    name = "zarinpal"
    uses_webhook_secret = False

    def begin(self, *, payment: Payment) -> Checkout:
        user = payment.wallet.customer.user
        metadata = {"email": user.email, "order_id": str(payment.pk)}
        mobile = _zarinpal_mobile(user.phone)
        if mobile:
            metadata["mobile"] = mobile
        body = {
            "merchant_id": self._merchant_id(),
            "amount": payment.amount,
            "currency": "IRT",
            "description": _payment_description(payment, language=user.language),
            "callback_url": settings.ZARINPAL_CALLBACK_URL,
            "metadata": metadata,
        }
        try:
            # Not repeated after a read timeout: Zarinpal may have opened a session already.
            answer = self._post("request.json", body)
        except _NoAnswer as error:
            logger.warning("zarinpal.request_failed", extra={"payment_id": payment.pk})
            raise PaymentGatewayUnavailable() from error
        data = answer.get("data")
        authority = data.get("authority") if isinstance(data, dict) else None
        if (
            isinstance(data, dict)
            and data.get("code") == 100
            and isinstance(authority, str)
            and re.fullmatch(AUTHORITY_PATTERN, authority)
        ):
            return Checkout(reference=authority, succeeded=False, url=self.start_pay_url(authority))
        code, message = _error_of(answer)
        logger.error(
            "zarinpal.request_refused",
            extra={"payment_id": payment.pk, "gateway_code": code, "gateway_message": message},
        )
        if code == ZARINPAL_TOO_MANY_ATTEMPTS:
            raise PaymentGatewayUnavailable(gateway_code=code)
        raise PaymentGatewayRefused(gateway_code=code)

    def verify(self, *, payment: Payment) -> Verification:
        """verify.json with the amount of our own row; repeated on a timeout or a 5xx (verifying
        twice is harmless: the second answer is 101)."""
        try:
            merchant_id = self._merchant_id()
        except PaymentGatewayUnavailable:
            return Verification(succeeded=None)
        body = {
            "merchant_id": merchant_id,
            "amount": payment.amount,
            "authority": payment.gateway_reference,
        }
        attempts = max(1, settings.ZARINPAL_VERIFY_ATTEMPTS)
        for attempt in range(1, attempts + 1):
            try:
                answer = self._post("verify.json", body)
                break
            except _NoAnswer:
                logger.warning(
                    "zarinpal.verify_no_answer", extra={"payment_id": payment.pk, "try": attempt}
                )
                if attempt == attempts:
                    return Verification(succeeded=None)
                time.sleep(0.2 * attempt)
        data = answer.get("data")
        if isinstance(data, dict) and data.get("code") in ZARINPAL_VERIFIED:
            return Verification(
                succeeded=True, code=data["code"], receipt=str(data.get("ref_id", ""))[:64]
            )
        code, message = _error_of(answer)
        extra = {"payment_id": payment.pk, "gateway_code": code, "gateway_message": message}
        if code in ZARINPAL_VERIFY_FAILURES:
            logger.info("zarinpal.verify_failed", extra=extra)
            return Verification(succeeded=False, code=code)
        logger.error("zarinpal.verify_unusable", extra=extra)
        return Verification(succeeded=None, code=code)

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Zarinpal sends no webhook: its payments settle only through our verify call."""
        raise InvalidSignature()

    @staticmethod
    def base_url() -> str:
        default = ZARINPAL_SANDBOX_URL if settings.ZARINPAL_SANDBOX else ZARINPAL_LIVE_URL
        return (settings.ZARINPAL_BASE_URL or default).rstrip("/")

    def start_pay_url(self, authority: str) -> str:
        return f"{self.base_url()}/pg/StartPay/{authority}"

    @staticmethod
    def _merchant_id() -> str:
        if not settings.ZARINPAL_MERCHANT_ID:
            logger.error("zarinpal.merchant_id_missing")
            raise PaymentGatewayUnavailable()
        return settings.ZARINPAL_MERCHANT_ID

    def _post(self, endpoint: str, body: dict) -> dict:
        """One POST; the connection alone is retried (nothing was sent yet), once."""
        timeout = httpx.Timeout(
            settings.ZARINPAL_READ_TIMEOUT, connect=settings.ZARINPAL_CONNECT_TIMEOUT
        )
        url = f"{self.base_url()}/pg/v4/payment/{endpoint}"
        try:
            with httpx.Client(transport=httpx.HTTPTransport(retries=1), timeout=timeout) as client:
                response = client.post(url, json=body, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise _NoAnswer(type(error).__name__) from None
        if response.status_code >= 500:
            raise _NoAnswer(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise _NoAnswer("not JSON") from None
        if not isinstance(answer, dict):
            raise _NoAnswer("not a JSON object")
        return answer


def _error_of(answer: dict) -> tuple[int | None, str]:
    """Zarinpal's error answer: `{"data": [], "errors": {"code": -9, "message": "…"}}`."""
    errors = answer.get("errors")
    if isinstance(errors, dict):
        code = errors.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        return code, str(errors.get("message", ""))[:200]
    data = answer.get("data")
    if isinstance(data, dict) and isinstance(data.get("code"), int):
        return data["code"], str(data.get("message", ""))[:200]
    return None, ""


def _zarinpal_mobile(phone: str) -> str:
    """Zarinpal pre-fills the mobile it is given as Iranians write it (09121234567)."""
    if re.fullmatch(r"\+989[0-9]{9}", phone or ""):
        return "0" + phone[3:]
    return ""


VERIFYING_GATEWAYS: dict[str, type[PaymentGateway]] = {ZarinpalGateway.name: ZarinpalGateway}


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


def _payment_description(payment: Payment, *, language: str) -> str:
    """What the member reads about the payment on the gateway's page, in the member's language."""
    with translation.override(language or None):
        return _("Library wallet charge #%(id)s") % {"id": payment.pk}


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
