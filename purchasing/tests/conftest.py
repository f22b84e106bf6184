import pytest

from accounts.tests.factories import CustomerFactory


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def webhook_gateway(settings):
    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    return settings
