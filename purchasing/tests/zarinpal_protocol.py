"""Zarinpal's v4 payment-gateway protocol as its public documentation and official SDKs write it,
served by a local HTTP server so the tests drive `ZarinpalGateway` over real HTTP.

Where each example comes from:
- request.json and verify.json, their bodies and success answers: Zarinpal's "connect to gateway"
  guide (zarinpal.com/docs/paymentGateway/connectToGateway: fields merchant_id, amount, currency
  IRR|IRT, description, callback_url, metadata {mobile, email, order_id}; the answer's data
  {code 100, message, authority, fee_type, fee}; verify's data {code, message, card_hash,
  card_pan, ref_id, fee_type, fee}), and the official PHP SDK (github ZarinPal/zarinpal-php-sdk,
  src/Endpoint/PaymentGateway/PaymentGateway.php: the paths /pg/v4/payment/request.json and
  verify.json, StartPay at /pg/StartPay/{authority}; src/Options.php: the live host
  payment.zarinpal.com and the sandbox host sandbox.zarinpal.com).
- error answers `{"data": [], "errors": {"code", "message", "validations"}}` and their codes and
  English messages: Zarinpal's error list (zarinpal.com/docs/paymentGateway/errorList): -9
  validation, -10 terminal not valid, -11 terminal not active, -12 too many attempts, -50 amounts
  differ, -51 not paid, -54 invalid authority, 101 already verified. The PHP SDK reads `errors`
  from answers of any HTTP status (`checkHttpError`), so the server here answers them with 4xx.
"""

import json
import time

from pytest_httpserver import HTTPServer
from werkzeug import Response

REQUEST_PATH = "/pg/v4/payment/request.json"
VERIFY_PATH = "/pg/v4/payment/verify.json"

# The authority of the guide's sample answer.
AUTHORITY = "A00000000000000000000000000217885159"

REQUEST_OK = {
    "data": {
        "code": 100,
        "message": "Success",
        "authority": AUTHORITY,
        "fee_type": "Merchant",
        "fee": 100,
    },
    "errors": [],
}

VERIFY_OK = {
    "data": {
        "code": 100,
        "message": "Verified",
        "card_hash": "1EBE3EBEBE35C7EC0F8D6EE4F2F859107A87822CA179BC9528767EA7B5489B69",
        "card_pan": "502229******5995",
        "ref_id": 201,
        "fee_type": "Merchant",
        "fee": 0,
    },
    "errors": [],
}

VERIFY_ALREADY_VERIFIED = {
    "data": {
        "code": 101,
        "message": "Verified",
        "card_hash": "1EBE3EBEBE35C7EC0F8D6EE4F2F859107A87822CA179BC9528767EA7B5489B69",
        "card_pan": "502229******5995",
        "ref_id": 201,
        "fee_type": "Merchant",
        "fee": 0,
    },
    "errors": [],
}


def error_answer(code: int, message: str, validations: list | None = None) -> dict:
    return {
        "data": [],
        "errors": {"code": code, "message": message, "validations": validations or []},
    }


VALIDATION_ERROR = error_answer(
    -9,
    "The input params invalid, validation error.",
    [{"amount": "The amount must be at least 1000."}],
)
TERMINAL_NOT_VALID = error_answer(
    -10, "Terminal is not valid, please check merchant_id or ip address."
)
TERMINAL_NOT_ACTIVE = error_answer(-11, "Terminal is not active, please contact our support team.")
TOO_MANY_ATTEMPTS = error_answer(-12, "To many attempts, please try again later.")
AMOUNTS_DIFFER = error_answer(-50, "Session is not valid, amounts values is not the same.")
NOT_PAID = error_answer(-51, "Session is not valid, session is not active paid try.")
INVALID_AUTHORITY = error_answer(-54, "Invalid authority.")


def threaded_server() -> HTTPServer:
    """A server per test, handling requests in threads (two callbacks verify at once)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


def answer(body: dict, *, status: int = 200):
    return Response(json.dumps(body), status=status, content_type="application/json")


def slow(body: dict, *, seconds: float):
    """A handler that answers only after `seconds` (longer than our read timeout)."""

    def handler(request):
        time.sleep(seconds)
        return answer(body)

    return handler


def bodies(server: HTTPServer, path: str) -> list[dict]:
    """The JSON bodies our gateway sent to `path`, in order."""
    return [request.get_json() for request, _ in server.log if request.path == path]
