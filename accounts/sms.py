"""The SMS service: an interface with pluggable backends chosen by `SMS_BACKEND`, like EMAIL_BACKEND.

Backends: `ConsoleSmsBackend` (prints, the default), `LocmemSmsBackend` (keeps messages in
`outbox`, for tests) and `KavenegarSmsBackend` (Kavenegar's REST API, the Iranian provider).
A message carrying a one-time code says so (`code`, `purpose`): a provider that sends codes
through its own approved templates sends only the code; the others send the whole `body`.

A backend that cannot send raises `SmsUnavailable` (503 `sms_unavailable`): the sign-in answers
it at once, a notification's task retries and the redelivery sweep tries again later.
"""

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from accounts.errors import SmsUnavailable
from accounts.phones import national_or_international

logger = logging.getLogger(__name__)

# What a message is for: a provider may send each kind of code through its own template.
NOTICE = "notice"
LOGIN_CODE = "login_code"
PHONE_CHANGE_CODE = "phone_change_code"


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str  # the whole text, as a member reads it
    code: str | None = None  # the one-time code the body carries, if any
    purpose: str = NOTICE


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints `SMS to +989121234567: <body>` to standard output (the `make run` terminal)."""

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"SMS to {message.to}: {message.body}\n")
        sys.stdout.flush()


outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `accounts.sms.outbox` for tests to read (one process only)."""

    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def masked(phone: str) -> str:
    """A phone as logs may show it: the last four digits hidden."""
    return phone[:-4] + "****"


class KavenegarSmsBackend(BaseSmsBackend):
    """Kavenegar's REST API: codes through `verify/lookup` with a template approved in their
    panel (`KAVENEGAR_LOGIN_TEMPLATE`, `KAVENEGAR_PHONE_CHANGE_TEMPLATE`), notices through
    `sms/send`.

    A thin client on httpx rather than the `kavenegar` package: that one has had no release
    since 2018, has no retries, and its errors and repr carry the API key. The key sits in the
    URL path (`/v1/{API-KEY}/sms/send.json`), so no URL is ever logged: httpx's own request log
    is silenced in settings, and a failure is logged by its kind and Kavenegar's status only.
    Each attempt is bounded by `KAVENEGAR_TIMEOUT`; a timeout, a lost connection or a 5xx is
    tried again up to `KAVENEGAR_RETRIES` times; Kavenegar's 4xx (bad number, no credit, unknown
    template...) would only fail again, so it is not.
    """

    RETRY_PAUSE = 0.5  # seconds between attempts

    def send(self, message: SmsMessage) -> None:
        receptor = national_or_international(message.to)
        if message.code is not None:
            method = "verify/lookup"
            params = {
                "receptor": receptor,
                "token": message.code,
                "template": self._template(message.purpose),
            }
        else:
            method = "sms/send"
            params = {"receptor": receptor, "message": message.body}
            if settings.KAVENEGAR_SENDER:
                params["sender"] = settings.KAVENEGAR_SENDER
        failure = self._call(method, params)
        if failure is not None:
            logger.warning(
                "sms.provider_failed",
                extra={
                    "event": "sms.provider_failed",
                    "provider": "kavenegar",
                    "method": method,
                    "to": masked(message.to),
                    **failure,
                },
            )
            raise SmsUnavailable()

    @staticmethod
    def _template(purpose: str) -> str:
        if purpose == PHONE_CHANGE_CODE and settings.KAVENEGAR_PHONE_CHANGE_TEMPLATE:
            return settings.KAVENEGAR_PHONE_CHANGE_TEMPLATE
        return settings.KAVENEGAR_LOGIN_TEMPLATE

    def _call(self, method: str, params: dict[str, str]) -> dict[str, Any] | None:
        """POST the form to `{KAVENEGAR_API_URL}/{key}/{method}.json`; None once Kavenegar
        accepted it, else what went wrong (without the URL) and how many attempts it took."""
        url = f"{settings.KAVENEGAR_API_URL.rstrip('/')}/{settings.KAVENEGAR_API_KEY}/{method}.json"
        attempts = 1 + max(settings.KAVENEGAR_RETRIES, 0)
        with httpx.Client(
            timeout=settings.KAVENEGAR_TIMEOUT, headers={"Accept": "application/json"}
        ) as client:
            for attempt in range(1, attempts + 1):
                if attempt > 1:
                    time.sleep(self.RETRY_PAUSE)
                failure, retryable = self._attempt(client, url, params)
                if failure is None:
                    return None
                if not retryable:
                    break
        return {**failure, "attempts": attempt}

    @staticmethod
    def _attempt(
        client: httpx.Client, url: str, params: dict[str, str]
    ) -> tuple[dict[str, Any] | None, bool]:
        """One request: (None, _) when accepted, else (what went wrong, worth another try).
        httpx's exceptions are read for their kind only: their text may carry the URL."""
        try:
            response = client.post(url, data=params)
        except httpx.TimeoutException as exc:
            return {"reason": "timeout", "error": type(exc).__name__}, True
        except httpx.TransportError as exc:
            return {"reason": "transport", "error": type(exc).__name__}, True
        status, text = _return_of(response)
        if response.status_code == 200 and status == 200:
            return None, False
        failure = {
            "reason": "refused",
            "http_status": response.status_code,
            "status": status,
            "status_message": text,
        }
        return failure, response.status_code >= 500


def _return_of(response: httpx.Response) -> tuple[int | None, str]:
    """Kavenegar's own verdict, `{"return": {"status": 200, "message": "..."}}`, on every answer."""
    try:
        verdict = response.json()["return"]
        return int(verdict["status"]), str(verdict.get("message", ""))[:200]
    except (ValueError, KeyError, TypeError):
        return None, ""


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, code: str | None = None, purpose: str = NOTICE) -> None:
    """Send one SMS through the configured backend; `SmsUnavailable` when it cannot. A code is
    passed with its purpose as well as inside `body`. Never call inside a database transaction."""
    failed = None
    try:
        get_backend().send(SmsMessage(to=to, body=body, code=code, purpose=purpose))
    except SmsUnavailable:
        raise
    except Exception as exc:  # any backend's own outage error: a 503 to the member, never a 500
        failed = type(exc).__name__  # its kind only: a provider's error text may hold a key
    if failed is not None:
        logger.warning(
            "sms.backend_failed",
            extra={"event": "sms.backend_failed", "backend": settings.SMS_BACKEND, "error": failed},
        )
        raise SmsUnavailable()
    logger.info("sms sent", extra={"to": masked(to)})
