import json

import pytest

from purchasing.errors import InvalidSignature, InvalidWebhookPayload
from purchasing.gateways import DevelopmentGateway, WebhookGateway, get_gateway, sign

SECRET = "test-webhook-secret"
BODY = json.dumps({"reference": "wh-1", "status": "succeeded", "amount": 500}).encode()


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def test_the_gateway_is_chosen_by_the_setting(settings):
    assert isinstance(get_gateway(), DevelopmentGateway)
    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    assert isinstance(get_gateway(), WebhookGateway)


def test_a_correctly_signed_event_is_read():
    event = WebhookGateway().parse_event(body=BODY, headers={"X-Signature": sign(BODY, SECRET)})
    assert (event.reference, event.succeeded, event.amount) == ("wh-1", True, 500)


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body():
    import hashlib
    import hmac

    assert sign(BODY, SECRET) == hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature": ""},
        {"X-Signature": "0" * 64},
        {"X-Signature": sign(BODY, "another-secret")},
        {"X-Signature": sign(BODY + b" ", SECRET)},
    ],
)
def test_a_missing_or_wrong_signature_is_refused(headers):
    with pytest.raises(InvalidSignature):
        WebhookGateway().parse_event(body=BODY, headers=headers)


def test_without_a_configured_secret_every_event_is_refused(settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    with pytest.raises(InvalidSignature):
        WebhookGateway().parse_event(body=BODY, headers={"X-Signature": sign(BODY, "")})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[1, 2]", "body"),
        (b"[" * 100_000 + b"]" * 100_000, "body"),
        (b'{"status": "succeeded", "amount": 5}', "reference"),
        (b'{"reference": "r", "status": "refunded", "amount": 5}', "status"),
        (b'{"reference": "r", "status": "failed", "amount": 5.5}', "amount"),
        (b'{"reference": "r", "status": "failed", "amount": true}', "amount"),
        (b'{"reference": "r", "status": "failed", "amount": 0}', "amount"),
    ],
)
def test_a_signed_but_malformed_event_names_the_offending_field(body, field):
    with pytest.raises(InvalidWebhookPayload) as caught:
        WebhookGateway().parse_event(body=body, headers={"X-Signature": sign(body, SECRET)})
    assert field in caught.value.extra["errors"]


def test_system_check_warns_when_a_webhook_gateway_has_no_secret(settings):
    from purchasing.checks import payment_gateway_check

    settings.PAYMENT_GATEWAY = "purchasing.gateways.WebhookGateway"
    settings.PAYMENT_WEBHOOK_SECRET = ""
    assert [m.id for m in payment_gateway_check(None)] == ["purchasing.W001"]
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    assert payment_gateway_check(None) == []


def test_system_check_reports_a_gateway_that_cannot_be_imported(settings):
    from purchasing.checks import payment_gateway_check

    settings.PAYMENT_GATEWAY = "purchasing.gateways.NoSuchGateway"
    assert [m.id for m in payment_gateway_check(None)] == ["purchasing.E001"]


def test_the_development_gateway_needs_no_secret(settings):
    from purchasing.checks import payment_gateway_check

    settings.PAYMENT_WEBHOOK_SECRET = ""
    assert payment_gateway_check(None) == []
