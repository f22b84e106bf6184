"""The Kavenegar SMS backend over real HTTP, against a local server that speaks Kavenegar's REST
protocol: codes through `verify/lookup`, notices through `sms/send`, and every way it can fail.

The recorded requests and answers below follow Kavenegar's public REST documentation
(https://kavenegar.com/rest.html: "verify/lookup", "sms/send" and the table of response codes)
and the official SDKs: github.com/kavenegar/kavenegar-python (`kavenegar.py`: a POST of the
form to `https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.json`, `return.status` 200 or an
error) and github.com/kavenegar/kavenegar-go (`client.go`: an error answer carries the same
status in HTTP and in `return.status`, with `return.message`; `message.go`: the fields of an entry).
"""

import json
import logging
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from accounts.checks import development_sms_deploy_check, sms_backend_check
from accounts.models import LoginCodeLockout, Notification, NotificationKind, OtpChallenge
from accounts.notifications import notify
from accounts.tasks import redeliver_undelivered
from accounts.tests.conftest import as_user
from accounts.tests.factories import PASSWORD, UserFactory
from core.log_format import JsonFormatter

pytestmark = pytest.mark.django_db(transaction=True)

API_KEY = "4F6B2D7A-made-up-test-key-71726F63"  # made up, so that a leak is easy to spot
PHONE = "+989121234567"
RECEPTOR = "09121234567"  # how Kavenegar's documentation writes an Iranian receptor
LOOKUP_PATH = f"/v1/{API_KEY}/verify/lookup.json"
SEND_PATH = f"/v1/{API_KEY}/sms/send.json"

# verify/lookup, as the documentation's example request: receptor, token, template (form fields).
# Its answer, as the documentation's example: one entry per message, `status` 5 "sent to the
# operator" (entry fields as in kavenegar-go's message.go).
LOOKUP_ANSWER = {
    "return": {"status": 200, "message": "تایید شد"},
    "entries": [
        {
            "messageid": 8792343,
            "message": "کد ورود شما به کتابخانه: 482913",
            "status": 5,
            "statustext": "ارسال به مخابرات",
            "sender": "10004346",
            "receptor": RECEPTOR,
            "date": 1356619709,
            "cost": 120,
        }
    ],
}
# sms/send: receptor, message, and sender (the account's line; optional) as form fields.
SEND_ANSWER = {
    "return": {"status": 200, "message": "تایید شد"},
    "entries": [
        {
            "messageid": 8792344,
            "message": "The book you waited for is yours.",
            "status": 1,
            "statustext": "در صف ارسال",
            "sender": "10004346",
            "receptor": RECEPTOR,
            "date": 1356619710,
            "cost": 120,
        }
    ],
}


def kavenegar_error(status: int, message: str) -> Response:
    """An error answer as Kavenegar gives it: the code as the HTTP status and in `return`."""
    body = {"return": {"status": status, "message": message}, "entries": None}
    return Response(json.dumps(body), status=status, content_type="application/json")


# From the documentation's table of response codes, with its Persian messages.
PROVIDER_REFUSALS = {
    403: "کد شناسائی API-Key معتبر نمی‌باشد",  # the API key is invalid
    411: "گیرنده پیام نامعتبر است",  # the receptor is invalid
    418: "اعتبار حساب شما کافی نیست",  # not enough credit
    424: "الگوی مورد نظر پیدا نشد",  # no such template (lookup)
}


@pytest.fixture
def kavenegar(settings):
    """A local server in Kavenegar's place, and the backend pointed at it. Threaded, so a slow
    answer does not hold the next attempt back."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    # The stand-in's own request log prints the URLs it was called on: the provider's side.
    werkzeug_logger = logging.getLogger("werkzeug")
    level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.ERROR)
    settings.SMS_BACKEND = "accounts.sms.KavenegarSmsBackend"
    settings.KAVENEGAR_API_URL = server.url_for("/v1")
    settings.KAVENEGAR_API_KEY = API_KEY
    settings.KAVENEGAR_LOGIN_TEMPLATE = "library-login"
    settings.KAVENEGAR_PHONE_CHANGE_TEMPLATE = "library-phone"
    settings.KAVENEGAR_SENDER = "10004346"
    settings.KAVENEGAR_TIMEOUT = 0.5
    settings.KAVENEGAR_RETRIES = 1
    yield server
    server.clear()
    server.stop()
    werkzeug_logger.setLevel(level)


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


def wait_for_requests(server: HTTPServer, path: str, count: int, within: float = 5.0) -> None:
    """The server logs a request once it has answered: a slow answer lands after our timeout."""
    deadline = time.monotonic() + within
    while len(requests_to(server, path)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def sign_in(api, username: str = PHONE):
    return api.post("/api/auth/login/", {"username": username, "password": PASSWORD})


@pytest.fixture
def member():
    return UserFactory(phone=PHONE)


# --- the happy paths -----------------------------------------------------------------------------


def test_a_sign_in_code_goes_through_verify_lookup_and_signs_the_member_in(api, kavenegar, member):
    kavenegar.expect_oneshot_request(LOOKUP_PATH, method="POST").respond_with_json(LOOKUP_ANSWER)

    step1 = sign_in(api, username="۰۹۱۲ ۱۲۳ ۴۵۶۷")

    assert step1.status_code == 200, step1.json()
    [request] = requests_to(kavenegar, LOOKUP_PATH)
    assert request.content_type == "application/x-www-form-urlencoded"
    form = request.form.to_dict()
    assert form.keys() == {"receptor", "token", "template"}
    assert (form["receptor"], form["template"]) == (RECEPTOR, "library-login")
    assert form["token"].isdigit() and len(form["token"]) == 6
    step2 = api.post(
        "/api/auth/login/verify/",
        {"otp_token": step1.json()["otp_token"], "code": form["token"]},
    )
    assert step2.status_code == 200
    assert {"access", "refresh"} <= step2.json().keys()


def test_a_phone_change_code_goes_through_its_own_template(kavenegar, member):
    kavenegar.expect_oneshot_request(LOOKUP_PATH, method="POST").respond_with_json(LOOKUP_ANSWER)
    response = as_user(member).post(
        "/api/users/me/phone/", {"password": PASSWORD, "phone": "09351112233"}
    )
    assert response.status_code == 202, response.json()
    [request] = requests_to(kavenegar, LOOKUP_PATH)
    assert request.form["receptor"] == "09351112233"
    assert request.form["template"] == "library-phone"


def test_a_notification_goes_through_sms_send_with_the_sender(kavenegar, member, tasks_in_process):
    kavenegar.expect_oneshot_request(SEND_PATH, method="POST").respond_with_json(SEND_ANSWER)

    with transaction.atomic():
        note = notify(
            user_id=member.pk,
            kind=NotificationKind.QUEUE_GRANTED,
            message="The book you waited for is yours.",
            event_key="kavenegar-send",
        )

    [request] = requests_to(kavenegar, SEND_PATH)
    assert request.form.to_dict() == {
        "receptor": RECEPTOR,
        "message": "The book you waited for is yours.",
        "sender": "10004346",
    }
    note.refresh_from_db()
    assert note.delivered_at is not None


def test_without_a_sender_kavenegar_picks_the_accounts_line(kavenegar, member, settings):
    from accounts.sms import send_sms  # the backend as the notification task calls it

    settings.KAVENEGAR_SENDER = ""
    kavenegar.expect_oneshot_request(SEND_PATH, method="POST").respond_with_json(SEND_ANSWER)
    send_sms(to=PHONE, body="Hello")
    [request] = requests_to(kavenegar, SEND_PATH)
    assert "sender" not in request.form


# --- failures: 503 `sms_unavailable`, the challenge untouched ------------------------------------


def assert_nothing_was_spent(member) -> None:
    """The challenge is there as it was made (not used, no failed attempt, not expired) and
    nothing counts against the account's second step."""
    challenge = OtpChallenge.objects.get(user=member)
    assert challenge.used_at is None
    assert challenge.failed_attempts == 0
    assert not challenge.is_spent
    assert not challenge.is_expired(timezone.now())
    assert not LoginCodeLockout.objects.filter(user_id=member.pk).exists()


@pytest.mark.parametrize("status", sorted(PROVIDER_REFUSALS))
def test_a_provider_refusal_is_a_503_sms_unavailable_not_retried(
    api, kavenegar, member, status, caplog
):
    kavenegar.expect_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(status, PROVIDER_REFUSALS[status])
    )

    response = sign_in(api)

    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    assert response.headers["Retry-After"] == "60"
    assert len(requests_to(kavenegar, LOOKUP_PATH)) == 1  # a 4xx would only fail again
    assert_nothing_was_spent(member)
    [logged] = [r for r in caplog.records if getattr(r, "event", "") == "sms.provider_failed"]
    assert (logged.http_status, logged.status) == (status, status)
    assert logged.status_message == PROVIDER_REFUSALS[status]
    assert logged.attempts == 1


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_a_5xx_is_tried_again_a_bounded_number_of_times(api, kavenegar, member, settings, retries):
    settings.KAVENEGAR_RETRIES = retries
    kavenegar.expect_request(LOOKUP_PATH, method="POST").respond_with_data(
        "<html>502 Bad Gateway</html>", status=502, content_type="text/html"
    )

    response = sign_in(api)

    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    assert len(requests_to(kavenegar, LOOKUP_PATH)) == 1 + retries
    assert_nothing_was_spent(member)


def test_a_5xx_then_an_answer_signs_in_on_the_retry(api, kavenegar, member):
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(500, "خطای داخلی")
    )
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_json(LOOKUP_ANSWER)

    response = sign_in(api)

    assert response.status_code == 200
    assert len(requests_to(kavenegar, LOOKUP_PATH)) == 2


def test_a_provider_that_does_not_answer_in_time_is_a_503_within_the_bound(
    api, kavenegar, member, caplog
):
    def too_slow(request: Request) -> Response:
        time.sleep(1.5)  # three times KAVENEGAR_TIMEOUT
        return Response(json.dumps(LOOKUP_ANSWER), content_type="application/json")

    kavenegar.expect_request(LOOKUP_PATH, method="POST").respond_with_handler(too_slow)

    started = time.monotonic()
    response = sign_in(api)
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    # Two attempts of 0.5 s and the pause between them, not two answers of 1.5 s.
    assert took < 2.5, took
    wait_for_requests(kavenegar, LOOKUP_PATH, 2)
    assert len(requests_to(kavenegar, LOOKUP_PATH)) == 2
    [logged] = [r for r in caplog.records if getattr(r, "event", "") == "sms.provider_failed"]
    assert (logged.reason, logged.attempts) == ("timeout", 2)
    assert_nothing_was_spent(member)


def test_a_provider_out_of_reach_is_a_503(api, kavenegar, member):
    kavenegar.stop()  # nothing listens on the port any more: connection refused
    response = sign_in(api)
    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    assert_nothing_was_spent(member)
    kavenegar.start()


def test_after_an_outage_asking_again_texts_a_fresh_code_that_signs_in(api, kavenegar, member):
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(418, PROVIDER_REFUSALS[418])
    )
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_json(LOOKUP_ANSWER)

    refused = sign_in(api)
    assert refused.status_code == 503
    assert_nothing_was_spent(member)

    again = sign_in(api)
    assert again.status_code == 200
    assert OtpChallenge.objects.filter(user=member).count() == 1  # one live code at a time
    code = requests_to(kavenegar, LOOKUP_PATH)[-1].form["token"]
    verified = api.post(
        "/api/auth/login/verify/", {"otp_token": again.json()["otp_token"], "code": code}
    )
    assert verified.status_code == 200


def test_a_phone_change_during_an_outage_is_a_503_and_changes_nothing(kavenegar, member):
    kavenegar.expect_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(411, PROVIDER_REFUSALS[411])
    )
    response = as_user(member).post(
        "/api/users/me/phone/", {"password": PASSWORD, "phone": "09351112233"}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    member.refresh_from_db()
    assert member.phone == PHONE


def test_the_admin_sign_in_shows_the_outage_with_a_503(client, kavenegar):
    UserFactory(phone=PHONE, is_staff=True)
    kavenegar.expect_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(418, PROVIDER_REFUSALS[418])
    )
    response = client.post("/admin/login/?next=/admin/", {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 503
    assert b"could not be sent" in response.content
    assert response["Retry-After"] == "60"


# --- notifications: left for the redelivery sweep ----------------------------------------------


def test_a_notification_the_provider_refused_is_sent_by_the_sweep_once_it_recovers(
    kavenegar, member, settings, tasks_in_process
):
    settings.KAVENEGAR_RETRIES = 0
    kavenegar.expect_request(SEND_PATH, method="POST").respond_with_response(
        kavenegar_error(500, "خطای داخلی")
    )
    with transaction.atomic():
        note = notify(
            user_id=member.pk,
            kind=NotificationKind.QUEUE_GRANTED,
            message="The book you waited for is yours.",
            event_key="kavenegar-sweep",
        )
    failed_attempts = len(requests_to(kavenegar, SEND_PATH))
    assert failed_attempts >= 1  # the task and its own retries all met the outage
    note.refresh_from_db()
    assert note.delivered_at is None

    kavenegar.clear()
    kavenegar.expect_request(SEND_PATH, method="POST").respond_with_json(SEND_ANSWER)
    assert redeliver_undelivered(now=timezone.now() + timedelta(minutes=3)) == 1

    [request] = requests_to(kavenegar, SEND_PATH)
    assert request.form["message"] == "The book you waited for is yours."
    note.refresh_from_db()
    assert note.delivered_at is not None
    # Delivered: the next sweep leaves it alone.
    assert redeliver_undelivered(now=timezone.now() + timedelta(minutes=3)) == 0
    assert Notification.objects.filter(delivered_at=None).count() == 0


# --- the API key never reaches a log -----------------------------------------------------------


def test_the_api_key_is_never_logged(api, kavenegar, member, settings, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_json(LOOKUP_ANSWER)
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_response(
        kavenegar_error(424, PROVIDER_REFUSALS[424])
    )
    kavenegar.expect_ordered_request(LOOKUP_PATH, method="POST").respond_with_handler(
        lambda request: time.sleep(1) or Response("{}")
    )
    settings.KAVENEGAR_RETRIES = 0

    assert sign_in(api).status_code == 200
    assert sign_in(api).status_code == 503
    assert sign_in(api).status_code == 503
    kavenegar.stop()  # and a connection refused
    assert sign_in(api).status_code == 503
    kavenegar.start()

    assert len(caplog.records) > 5  # the requests were logged, only never with the key
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "sms.provider_failed" in logged
    assert API_KEY not in logged
    assert "/v1/" not in logged  # no URL of ours at all
    out, err = capfd.readouterr()
    assert API_KEY not in out + err


# --- configuration: checks and the production refusal ---------------------------------------------


def test_the_check_refuses_kavenegar_without_its_key_or_template(settings):
    settings.SMS_BACKEND = "accounts.sms.KavenegarSmsBackend"
    settings.KAVENEGAR_API_KEY = ""
    settings.KAVENEGAR_LOGIN_TEMPLATE = "library-login"
    [error] = sms_backend_check(None)
    assert error.id == "accounts.E002" and "KAVENEGAR_API_KEY" in error.msg
    settings.KAVENEGAR_API_KEY = API_KEY
    settings.KAVENEGAR_LOGIN_TEMPLATE = ""
    [error] = sms_backend_check(None)
    assert error.id == "accounts.E002" and "KAVENEGAR_LOGIN_TEMPLATE" in error.msg
    settings.KAVENEGAR_LOGIN_TEMPLATE = "library-login"
    assert sms_backend_check(None) == []
    settings.SMS_BACKEND = "accounts.sms.NoSuchBackend"
    assert [e.id for e in sms_backend_check(None)] == ["accounts.E001"]


@pytest.mark.parametrize(
    ("backend", "ids"),
    [
        ("accounts.sms.ConsoleSmsBackend", ["accounts.E003"]),
        ("accounts.sms.LocmemSmsBackend", ["accounts.E003"]),
        ("accounts.sms.KavenegarSmsBackend", []),
    ],
)
def test_the_deploy_check_refuses_backends_that_text_nothing(settings, backend, ids):
    settings.SMS_BACKEND = backend
    assert [e.id for e in development_sms_deploy_check(None)] == ids


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_TESTING"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(django_settings.BASE_DIR),
        env={
            **base,
            "DEBUG": "false",
            "SECRET_KEY": "a-real-looking-secret-" + "x" * 40,
            "PAYMENT_GATEWAY": "purchasing.gateways.WebhookGateway",
            "PAYMENT_WEBHOOK_SECRET": "webhook-secret",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_on_kavenegar_without_a_key():
    result = _manage("check", SMS_BACKEND="accounts.sms.KavenegarSmsBackend", KAVENEGAR_API_KEY="")
    assert result.returncode != 0
    assert "KAVENEGAR_API_KEY is empty" in result.stderr


def test_check_deploy_fails_on_the_console_backend_and_passes_on_kavenegar():
    console = _manage("check", "--deploy", SMS_BACKEND="accounts.sms.ConsoleSmsBackend")
    assert console.returncode != 0
    assert "(accounts.E003)" in console.stderr
    kavenegar = _manage(
        "check",
        "--deploy",
        SMS_BACKEND="accounts.sms.KavenegarSmsBackend",
        KAVENEGAR_API_KEY=API_KEY,
        KAVENEGAR_LOGIN_TEMPLATE="library-login",
    )
    assert "accounts.E00" not in kavenegar.stderr, kavenegar.stderr
    assert API_KEY not in kavenegar.stdout + kavenegar.stderr
