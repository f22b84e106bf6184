import pytest

from accounts import sms


@pytest.fixture(autouse=True)
def _locmem_messages(settings):
    """SMS and email go to in-memory outboxes; nothing leaves the test."""
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
