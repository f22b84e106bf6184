"""Zarinpal end to end over real HTTP: our API and services talk to a local server that speaks
Zarinpal's documented requests and answers (`zarinpal_protocol`), never a mock of our code."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from purchasing.models import Payment, PaymentStatus, TransactionKind, WalletTransaction
from purchasing.services import payments_verify_stale
from purchasing.tests import zarinpal_protocol as zp
from purchasing.tests.factories import balance_of

pytestmark = pytest.mark.django_db

MERCHANT_ID = "1344b5d4-0048-11e8-94db-005056a205be"  # the guide's sample merchant id
CHARGE = "/api/wallet/charge/"
CALLBACK = "/api/payments/zarinpal/callback/"
RETURN_URL = "https://library.example/wallet/charged"


@pytest.fixture
def server():
    server = zp.threaded_server()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def zarinpal(settings, server):
    settings.PAYMENT_GATEWAY = "purchasing.gateways.ZarinpalGateway"
    settings.ZARINPAL_MERCHANT_ID = MERCHANT_ID
    settings.ZARINPAL_BASE_URL = server.url_for("/").rstrip("/")
    settings.ZARINPAL_CALLBACK_URL = "https://api.library.example/api/payments/zarinpal/callback/"
    settings.ZARINPAL_RETURN_URL = RETURN_URL
    settings.ZARINPAL_CONNECT_TIMEOUT = 1.0
    settings.ZARINPAL_READ_TIMEOUT = 0.3
    settings.ZARINPAL_VERIFY_ATTEMPTS = 2
    return server


@pytest.fixture
def member(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def charge(member, amount: int = 50_000):
    return member.post(CHARGE, {"amount": amount}, format="json")


@pytest.fixture
def pending(zarinpal, member) -> Payment:
    """A charge Zarinpal opened a session for: the member is on Zarinpal's page now."""
    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_json(zp.REQUEST_OK)
    response = charge(member)
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["id"])


def back_from_zarinpal(status: str = "OK", authority: str = zp.AUTHORITY, extra: str = ""):
    return APIClient().get(f"{CALLBACK}?Authority={authority}&Status={status}{extra}")


def outcome(response) -> dict[str, str]:
    """Where the callback sent the member: the front-end page and its query."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == RETURN_URL
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def charges_of(customer) -> list[WalletTransaction]:
    return list(
        WalletTransaction.objects.filter(wallet__customer=customer, kind=TransactionKind.CHARGE)
    )


# --- Starting a payment -------------------------------------------------------------------------


def test_a_charge_opens_a_zarinpal_session_and_answers_pending_with_its_start_pay_url(
    zarinpal, member, customer
):
    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_json(zp.REQUEST_OK)

    response = charge(member, 50_000)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["gateway"] == "zarinpal"
    assert body["gateway_reference"] == zp.AUTHORITY
    assert body["payment_url"] == f"{zarinpal.url_for('/pg/StartPay/')}{zp.AUTHORITY}"
    assert balance_of(customer) == 0
    # Our ledger is toman and Zarinpal is told so: the amount goes as it is, with currency IRT.
    (sent,) = zp.bodies(zarinpal, zp.REQUEST_PATH)
    assert sent == {
        "merchant_id": MERCHANT_ID,
        "amount": 50_000,
        "currency": "IRT",
        "description": f"Library wallet charge #{body['id']}",
        "callback_url": "https://api.library.example/api/payments/zarinpal/callback/",
        "metadata": {
            "mobile": "0" + customer.user.phone.removeprefix("+98"),
            "email": customer.user.email,
            "order_id": str(body["id"]),
        },
    }


def test_the_authority_names_one_payment_only(pending):
    """Zarinpal handing out an authority twice cannot make two payments share it."""
    second = Payment(
        wallet=pending.wallet, amount=10, gateway="zarinpal", gateway_reference=zp.AUTHORITY
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@pytest.mark.parametrize(
    ("zarinpal_status", "zarinpal_answer", "status", "code", "gateway_code"),
    [
        (400, zp.VALIDATION_ERROR, 502, "payment_gateway_refused", -9),
        (400, zp.TERMINAL_NOT_VALID, 502, "payment_gateway_refused", -10),
        (400, zp.TERMINAL_NOT_ACTIVE, 502, "payment_gateway_refused", -11),
        (200, zp.TERMINAL_NOT_ACTIVE, 502, "payment_gateway_refused", -11),
        (429, zp.TOO_MANY_ATTEMPTS, 503, "payment_gateway_unavailable", -12),
        (500, {"message": "Internal Server Error"}, 503, "payment_gateway_unavailable", None),
        (502, {}, 503, "payment_gateway_unavailable", None),
        (200, {"data": {"code": 100, "authority": "../../x"}}, 502, "payment_gateway_refused", 100),
    ],
)
def test_a_refused_or_failed_payment_request_answers_a_clear_error_and_records_nothing(
    zarinpal, member, customer, zarinpal_status, zarinpal_answer, status, code, gateway_code
):
    zarinpal.expect_request(zp.REQUEST_PATH, method="POST").respond_with_json(
        zarinpal_answer, status=zarinpal_status
    )

    response = member.post(CHARGE, {"amount": 500}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json().get("gateway_code") == gateway_code
    assert not Payment.objects.exists()
    assert balance_of(customer) == 0
    # Nothing was recorded under the key either: the member's retry starts a new request.
    assert len(zp.bodies(zarinpal, zp.REQUEST_PATH)) == 1


def test_a_payment_request_that_times_out_is_not_sent_again(zarinpal, member, customer):
    """request.json is not idempotent: after a read timeout Zarinpal may hold a session already."""
    calls = []

    def too_slow(request):
        calls.append(request.get_json())
        return zp.slow(zp.REQUEST_OK, seconds=0.8)(request)

    zarinpal.expect_request(zp.REQUEST_PATH, method="POST").respond_with_handler(too_slow)

    response = charge(member)

    assert response.status_code == 503
    assert response.json()["code"] == "payment_gateway_unavailable"
    assert len(calls) == 1
    assert not Payment.objects.exists()


def test_a_gateway_that_cannot_be_reached_answers_503(settings, zarinpal, member):
    settings.ZARINPAL_BASE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    response = charge(member)
    assert response.status_code == 503
    assert not Payment.objects.exists()


def test_without_a_merchant_id_no_request_is_sent(settings, zarinpal, member):
    settings.ZARINPAL_MERCHANT_ID = ""
    response = charge(member)
    assert response.status_code == 503
    assert zp.bodies(zarinpal, zp.REQUEST_PATH) == []


# --- Coming back: the callback ------------------------------------------------------------------


def test_the_callback_verifies_with_our_amount_credits_the_wallet_and_redirects(
    pending, zarinpal, customer
):
    zarinpal.expect_oneshot_request(
        zp.VERIFY_PATH,
        method="POST",
        json={"merchant_id": MERCHANT_ID, "amount": 50_000, "authority": zp.AUTHORITY},
    ).respond_with_json(zp.VERIFY_OK)

    # An amount in the query string is not ours to believe: verify.json gets the recorded one.
    response = back_from_zarinpal("OK", extra="&Amount=1")

    assert outcome(response) == {"payment": str(pending.pk), "status": "succeeded"}
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert pending.gateway_receipt == "201"
    assert balance_of(customer) == 50_000
    (credit,) = charges_of(customer)
    assert (credit.amount, credit.reference) == (50_000, f"payment:{pending.pk}")
    zarinpal.check_assertions()


def test_a_replayed_callback_changes_nothing_and_asks_zarinpal_nothing(pending, zarinpal, customer):
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(zp.VERIFY_OK)
    back_from_zarinpal("OK")

    again = back_from_zarinpal("OK")
    cancelled_after = back_from_zarinpal("NOK")

    assert outcome(again) == {"payment": str(pending.pk), "status": "succeeded"}
    assert outcome(cancelled_after)["status"] == "succeeded"
    assert len(zp.bodies(zarinpal, zp.VERIFY_PATH)) == 1
    assert balance_of(customer) == 50_000
    assert len(charges_of(customer)) == 1


def test_already_verified_101_credits_once(pending, zarinpal, customer):
    """101: Zarinpal verified this authority before (our earlier call timed out after it did)."""
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(
        zp.VERIFY_ALREADY_VERIFIED
    )

    response = back_from_zarinpal("OK")

    assert outcome(response)["status"] == "succeeded"
    assert balance_of(customer) == 50_000
    assert len(charges_of(customer)) == 1


def test_a_member_who_cancels_gets_a_failed_payment_and_no_money(pending, zarinpal, customer):
    """NOK: Zarinpal's verify confirms it was not paid (-51)."""
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(
        zp.NOT_PAID, status=400
    )

    response = back_from_zarinpal("NOK")

    assert outcome(response) == {"payment": str(pending.pk), "status": "failed"}
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.FAILED
    assert balance_of(customer) == 0
    assert charges_of(customer) == []


def test_a_forged_nok_cannot_fail_a_payment_zarinpal_took(pending, zarinpal, customer):
    """The Status in the query is a hint: a paid payment is credited whatever it says."""
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(zp.VERIFY_OK)

    response = back_from_zarinpal("NOK")

    assert outcome(response)["status"] == "succeeded"
    assert balance_of(customer) == 50_000


def test_an_amount_mismatch_fails_the_payment(pending, zarinpal, customer):
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(
        zp.AMOUNTS_DIFFER, status=400
    )

    response = back_from_zarinpal("OK")

    assert outcome(response)["status"] == "failed"
    assert balance_of(customer) == 0


def test_an_unknown_authority_changes_nothing_and_says_so(pending, zarinpal, customer):
    response = back_from_zarinpal("OK", authority="A00000000000000000000000000999999999")

    assert outcome(response) == {"status": "unknown"}
    assert zp.bodies(zarinpal, zp.VERIFY_PATH) == []
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?Status=OK",
        "?Authority=" + zp.AUTHORITY,
        "?Authority=&Status=OK",
        f"?Authority={zp.AUTHORITY}&Status=",
        f"?Authority={zp.AUTHORITY}&Status=ok",
        f"?Authority={zp.AUTHORITY}&Status=MAYBE",
        "?Authority=../../admin&Status=OK",
        "?Authority=A%00B&Status=OK",
        "?Authority=%F0%9F%92%B8&Status=OK",
        "?Authority=" + "A" * 129 + "&Status=OK",
        "?Authority[]=A1&Status=OK",
    ],
)
def test_a_malformed_callback_query_is_a_400_and_changes_nothing(pending, zarinpal, query):
    response = APIClient().get(CALLBACK + query)

    assert response.status_code == 400
    # A NUL is refused before any view (core.middleware.RefuseNulMiddleware).
    assert response.json()["code"] in ("invalid", "null_character")
    assert zp.bodies(zarinpal, zp.VERIFY_PATH) == []
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING


def test_a_verify_timeout_leaves_the_payment_pending_until_the_sweep_verifies_it(
    pending, zarinpal, customer
):
    calls = []

    def too_slow(request):
        calls.append(1)
        return zp.slow(zp.VERIFY_OK, seconds=0.8)(request)

    zarinpal.expect_ordered_request(zp.VERIFY_PATH, method="POST").respond_with_handler(too_slow)
    zarinpal.expect_ordered_request(zp.VERIFY_PATH, method="POST").respond_with_handler(too_slow)

    response = back_from_zarinpal("OK")

    # Tried ZARINPAL_VERIFY_ATTEMPTS times (verify is idempotent), then left for the sweep.
    assert outcome(response) == {"payment": str(pending.pk), "status": "pending"}
    assert len(calls) == 2
    assert balance_of(customer) == 0

    zarinpal.clear()
    zarinpal.expect_oneshot_request(
        zp.VERIFY_PATH, method="POST", json={**_verify_body(pending)}
    ).respond_with_json(zp.VERIFY_ALREADY_VERIFIED)
    # Too early: the member may still be on Zarinpal's page.
    assert payments_verify_stale().still_pending == 0
    assert zp.bodies(zarinpal, zp.VERIFY_PATH) == []

    result = payments_verify_stale(now=timezone.now() + timedelta(minutes=31))

    assert result.succeeded == 1
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert balance_of(customer) == 50_000
    assert len(charges_of(customer)) == 1


def _verify_body(payment: Payment) -> dict:
    return {"merchant_id": MERCHANT_ID, "amount": payment.amount, "authority": zp.AUTHORITY}


# --- The sweep ----------------------------------------------------------------------------------


def test_the_sweep_fails_a_payment_zarinpal_says_was_never_paid(pending, zarinpal, customer):
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(
        zp.NOT_PAID, status=400
    )

    result = payments_verify_stale(now=timezone.now() + timedelta(minutes=31))

    assert (result.failed, result.succeeded) == (1, 0)
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.FAILED
    assert balance_of(customer) == 0


def test_the_sweep_keeps_trying_while_zarinpal_is_down_then_expires_the_payment(
    pending, zarinpal, customer
):
    zarinpal.expect_request(zp.VERIFY_PATH, method="POST").respond_with_json({}, status=503)

    soon = payments_verify_stale(now=timezone.now() + timedelta(minutes=31))
    assert soon.still_pending == 1
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING

    later = payments_verify_stale(now=timezone.now() + timedelta(days=1, minutes=1))

    assert later.expired == 1
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.FAILED
    assert balance_of(customer) == 0


def test_money_verified_after_the_payment_expired_is_not_credited_but_reported(
    pending, zarinpal, customer, caplog
):
    """A verify that raced the expiry and lost: the row is final, so a person must refund."""
    from purchasing.services import _verify_and_settle, payment_expire

    seen_pending = Payment.objects.select_related("wallet").get(pk=pending.pk)
    payment_expire(payment_id=pending.pk)
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(zp.VERIFY_OK)

    result = _verify_and_settle(payment=seen_pending)

    assert result.status == PaymentStatus.FAILED
    assert balance_of(customer) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "money.payment_verified_after_failure"
    ]


def test_the_periodic_task_runs_the_sweep(pending, zarinpal, customer, tasks_in_process, settings):
    from purchasing.tasks import verify_stale_payments

    settings.ZARINPAL_VERIFY_AFTER_MINUTES = 0
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(zp.VERIFY_OK)

    verify_stale_payments.delay()

    assert balance_of(customer) == 50_000


def test_the_sweep_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "purchasing.tasks.verify_stale_payments" in tasks


# --- Settings, checks and secrets ---------------------------------------------------------------


def test_the_sandbox_and_live_hosts(settings):
    from purchasing.gateways import ZarinpalGateway

    settings.ZARINPAL_BASE_URL = ""
    settings.ZARINPAL_SANDBOX = True
    assert ZarinpalGateway().start_pay_url("S1") == "https://sandbox.zarinpal.com/pg/StartPay/S1"
    settings.ZARINPAL_SANDBOX = False
    assert ZarinpalGateway().start_pay_url("A1") == "https://payment.zarinpal.com/pg/StartPay/A1"


@pytest.mark.parametrize(
    ("merchant_id", "sandbox", "callback", "errors"),
    [
        (MERCHANT_ID, False, "https://api.example/api/payments/zarinpal/callback/", []),
        ("", False, "https://api.example/api/payments/zarinpal/callback/", ["purchasing.E003"]),
        (
            MERCHANT_ID,
            True,
            "https://api.example/api/payments/zarinpal/callback/",
            ["purchasing.E004"],
        ),
        (
            MERCHANT_ID,
            False,
            "http://api.example/api/payments/zarinpal/callback/",
            ["purchasing.E005"],
        ),
    ],
)
def test_check_deploy_refuses_zarinpal_without_a_merchant_id_in_its_sandbox_or_over_http(
    settings, merchant_id, sandbox, callback, errors
):
    from purchasing.checks import payment_gateway_check, zarinpal_deploy_check

    settings.PAYMENT_GATEWAY = "purchasing.gateways.ZarinpalGateway"
    settings.PAYMENT_WEBHOOK_SECRET = ""
    settings.ZARINPAL_MERCHANT_ID = merchant_id
    settings.ZARINPAL_SANDBOX = sandbox
    settings.ZARINPAL_CALLBACK_URL = callback
    assert [m.id for m in zarinpal_deploy_check(None)] == errors
    assert payment_gateway_check(None) == []  # Zarinpal needs no webhook secret


def test_check_deploy_leaves_other_gateways_alone(settings):
    from purchasing.checks import zarinpal_deploy_check

    settings.ZARINPAL_MERCHANT_ID = ""
    assert zarinpal_deploy_check(None) == []


def test_a_signed_webhook_cannot_settle_a_zarinpal_payment(pending, settings, customer):
    import json

    from purchasing.gateways import sign

    settings.PAYMENT_WEBHOOK_SECRET = "s"
    body = json.dumps({"reference": zp.AUTHORITY, "status": "succeeded", "amount": 50_000})
    response = APIClient().post(
        "/api/payments/webhook/",
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(body.encode(), "s"),
    )
    assert response.status_code == 400
    assert balance_of(customer) == 0


def test_the_merchant_id_is_never_logged(zarinpal, member, caplog):
    caplog.set_level(logging.DEBUG)
    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_json(zp.REQUEST_OK)
    zarinpal.expect_oneshot_request(zp.VERIFY_PATH, method="POST").respond_with_json(
        zp.TERMINAL_NOT_VALID, status=400
    )
    zarinpal.expect_request(zp.REQUEST_PATH, method="POST").respond_with_json(
        zp.TERMINAL_NOT_VALID, status=400
    )

    charge(member)
    back_from_zarinpal("OK")
    charge(member)

    assert caplog.records
    for record in caplog.records:
        assert MERCHANT_ID not in record.getMessage()
        assert MERCHANT_ID not in repr(record.__dict__)


# --- Concurrency (PostgreSQL, real threads) -----------------------------------------------------


def _verified_once_then_already():
    """Zarinpal's side of two verify calls: 100 for the first, 101 after; each answer waits a
    little, so both of our callers hold a verdict before either settles."""
    import threading
    import time

    lock, seen = threading.Lock(), []

    def handler(request):
        with lock:
            seen.append(1)
            first = len(seen) == 1
        time.sleep(0.2)
        return zp.answer(zp.VERIFY_OK if first else zp.VERIFY_ALREADY_VERIFIED)

    return handler, seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["callback", "sweep"])
def test_two_verifications_at_once_credit_the_wallet_once(zarinpal, member, customer, second):
    from purchasing.tests.test_concurrency import assert_wallet_equals_its_ledger, run_at_once

    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_json(zp.REQUEST_OK)
    payment_id = charge(member).json()["id"]
    handler, seen = _verified_once_then_already()
    zarinpal.expect_request(zp.VERIFY_PATH, method="POST").respond_with_handler(handler)
    later = timezone.now() + timedelta(minutes=31)
    calls = iter(["callback", second])

    def work():
        if next(calls) == "callback":
            return back_from_zarinpal("OK").status_code
        return payments_verify_stale(now=later)

    results = run_at_once(2, work)

    assert len(seen) == 2, results  # both asked Zarinpal before either settled
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.SUCCEEDED
    assert len(charges_of(customer)) == 1
    assert assert_wallet_equals_its_ledger(customer) == 50_000


def _held_session_request():
    """Zarinpal's side of request.json that answers only when the test lets it, and tells the test
    when a request has come in."""
    import threading

    arrived, release, calls = threading.Event(), threading.Event(), []

    def handler(request):
        calls.append(request.get_json())
        arrived.set()
        release.wait(timeout=20)
        return zp.answer(zp.REQUEST_OK)

    return handler, arrived, release, calls


def _in_thread(work, results: list):
    import threading

    from django.db import connection

    def target():
        try:
            results.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_payment_request_leaves_the_members_wallet_free(settings, zarinpal):
    """While Zarinpal takes its time, the member's reservations and queue grants (which lock the
    wallet) go on; the charge then opens its session as usual."""
    from accounts.tests.factories import CustomerFactory
    from purchasing.services import wallet_debit

    settings.ZARINPAL_READ_TIMEOUT = 20.0
    customer = CustomerFactory(balance=5_000)
    member = APIClient()
    member.force_authenticate(customer.user)
    handler, arrived, release, _ = _held_session_request()
    zarinpal.expect_oneshot_request(zp.REQUEST_PATH, method="POST").respond_with_handler(handler)
    charged, debited = [], []

    charging = _in_thread(lambda: charge(member).status_code, charged)
    try:
        assert arrived.wait(timeout=10)
        debiting = _in_thread(
            lambda: wallet_debit(
                customer_id=customer.pk, amount=1_000, kind=TransactionKind.RESERVATION_FEE
            ),
            debited,
        )
        debiting.join(timeout=5)
        debited_while_zarinpal_answered = not debiting.is_alive()
    finally:
        release.set()
    charging.join(timeout=20)
    debiting.join(timeout=20)

    assert debited_while_zarinpal_answered
    assert charged == [201]
    assert balance_of(customer) == 4_000
    assert Payment.objects.get(wallet__customer=customer).gateway_reference == zp.AUTHORITY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_twice_while_zarinpal_answers_opens_one_session(settings, zarinpal, customer):
    """The second request waits for the first and answers its payment: one request.json, one
    payment, the same start-pay URL for both."""
    settings.ZARINPAL_READ_TIMEOUT = 20.0
    handler, arrived, release, calls = _held_session_request()
    zarinpal.expect_request(zp.REQUEST_PATH, method="POST").respond_with_handler(handler)
    answers = []

    def keyed_charge():
        client = APIClient()
        client.force_authenticate(customer.user)
        return client.post(
            CHARGE, {"amount": 50_000}, format="json", headers={"Idempotency-Key": "k-1"}
        )

    first = _in_thread(keyed_charge, answers)
    try:
        assert arrived.wait(timeout=10)
        second = _in_thread(keyed_charge, answers)
        second.join(timeout=1)
        assert second.is_alive()  # waiting for the first request's payment
    finally:
        release.set()
    first.join(timeout=20)
    second.join(timeout=20)

    assert [a.status_code for a in answers] == [201, 201]
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true"]
    assert len({a.json()["id"] for a in answers}) == 1
    start_pay = f"{zarinpal.url_for('/pg/StartPay/')}{zp.AUTHORITY}"
    assert {a.json()["payment_url"] for a in answers} == {start_pay}
    assert len(calls) == 1
    assert Payment.objects.count() == 1
