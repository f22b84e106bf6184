"""The SMS service: an interface with pluggable backends chosen by `SMS_BACKEND`, like EMAIL_BACKEND.

Backends: `ConsoleSmsBackend` (prints, the default), `LocmemSmsBackend` (keeps messages in
`outbox`, for tests). A real provider is one more subclass of `BaseSmsBackend`.
"""

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


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


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> None:
    """Send one SMS through the configured backend. Never call inside a database transaction."""
    get_backend().send(SmsMessage(to=to, body=body))
    logger.info("sms sent", extra={"to": to[:-4] + "****"})
