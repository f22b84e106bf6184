"""Staff sign in to the admin with password and SMS code, through the members' auth service."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.admin_login import NOT_STAFF, PENDING_CHALLENGE
from accounts.models import OtpChallenge
from accounts.tests.factories import PASSWORD, AdminFactory, CustomerFactory
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff():
    return AdminFactory(email="staff@library.example")


@pytest.fixture
def browser():
    return Client()


def password_step(client: Client, username: str, password: str = PASSWORD, next_url="/admin/"):
    return client.post(
        f"/admin/login/?next={next_url}", {"username": username, "password": password}
    )


def code_step(client: Client, code: str, next_url="/admin/"):
    return client.post(f"/admin/login/code/?next={next_url}", {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_the_right_password_alone_gives_no_admin_session(browser, staff):
    response = password_step(browser, staff.email)

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/code/?next=%2Fadmin%2F"
    assert not is_signed_in(browser)
    assert browser.get("/admin/")["Location"].startswith("/admin/login/")
    assert len(outbox.sms) == 1 and outbox.sms[0].to == staff.phone


def test_staff_sign_in_with_password_and_sms_code_and_land_on_next(browser, staff):
    password_step(browser, staff.email, next_url="/admin/accounts/user/")
    anonymous_session = browser.session.session_key
    assert outbox.last_code() not in str(dict(browser.session))  # only the opaque challenge id

    page = browser.get("/admin/login/code/?next=/admin/accounts/user/")
    assert page.status_code == 200 and b"Code from the SMS" in page.content
    response = code_step(browser, outbox.last_code(), next_url="/admin/accounts/user/")

    assert response.status_code == 302 and response["Location"] == "/admin/accounts/user/"
    assert browser.session[SESSION_KEY] == str(staff.pk)
    assert browser.session.session_key != anonymous_session  # rotated on sign-in
    assert PENDING_CHALLENGE not in browser.session
    assert browser.get("/admin/accounts/user/").status_code == 200


def test_a_next_pointing_off_site_falls_back_to_the_admin_index(browser, staff):
    password_step(browser, staff.email, next_url="https://evil.example/")
    response = code_step(browser, outbox.last_code(), next_url="https://evil.example/")
    assert response["Location"] == "/admin/"
    assert is_signed_in(browser)


def test_a_wrong_password_answers_the_members_message_and_sends_no_code(browser, staff):
    response = password_step(browser, staff.email, password="Wr0ng!pass")
    assert response.status_code == 200
    assert b"The username or password is wrong." in response.content
    assert outbox.sms == [] and not is_signed_in(browser)


def test_admin_and_api_sign_ins_share_one_counter_per_account(browser, staff, settings):
    # An hour's window, so that no window boundary falls inside the test.
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_account": "4/h"}
    api = APIClient()
    for _ in range(2):
        assert password_step(browser, staff.email, password="Wr0ng!pass").status_code == 200
        wrong_api = api.post("/api/auth/login/", {"username": staff.email, "password": "Wr0ng!"})
        assert wrong_api.status_code == 401

    throttled = password_step(browser, staff.email)  # the right password, one try too many

    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 3600
    assert b"Too many attempts. Try again in" in throttled.content
    assert outbox.sms == [] and not is_signed_in(browser)
    again = api.post("/api/auth/login/", {"username": staff.email, "password": PASSWORD})
    assert again.status_code == 429


def test_a_member_who_passes_both_steps_gets_no_admin_session(browser):
    member = CustomerFactory().user
    password_step(browser, member.email)
    response = code_step(browser, outbox.last_code())

    assert response.status_code == 200
    assert NOT_STAFF in response.content.decode()
    assert "for a staff account" in NOT_STAFF
    assert not is_signed_in(browser)
    assert browser.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_code_step_cannot_be_reached_without_the_password_step(browser, staff):
    other_browser = Client()
    password_step(other_browser, staff.email)  # a challenge exists, but in another session

    response = code_step(browser, outbox.last_code())

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=%2Fadmin%2F"
    assert not is_signed_in(browser)
    assert browser.get("/admin/login/code/").status_code == 302
    assert OtpChallenge.objects.get(user=staff).used_at is None


def test_a_wrong_code_says_how_many_tries_are_left_and_the_right_one_still_works(browser, staff):
    password_step(browser, staff.email)
    code = outbox.last_code()

    response = code_step(browser, wrong(code))

    assert response.status_code == 200
    assert b"The code is wrong. 4 attempts left." in response.content
    assert not is_signed_in(browser)
    assert code_step(browser, code).status_code == 302
    assert is_signed_in(browser)


def test_a_malformed_code_is_a_form_error_and_counts_nothing(browser, staff):
    password_step(browser, staff.email)
    response = code_step(browser, "12ab")
    assert b"Enter the 6 digits of the code." in response.content
    assert OtpChallenge.objects.get(user=staff).failed_attempts == 0


def test_an_expired_code_is_refused_and_sends_back_to_the_password_step(browser, staff):
    password_step(browser, staff.email)
    OtpChallenge.objects.filter(user=staff).update(expires_at=timezone.now() - timedelta(1))

    response = code_step(browser, outbox.last_code())

    assert response.status_code == 200
    assert b"The code has expired. Sign in again to get a new one." in response.content
    assert not is_signed_in(browser)
    assert code_step(browser, outbox.last_code())["Location"].startswith("/admin/login/?next=")


def test_the_fifth_wrong_code_ends_the_challenge_and_locks_the_account(browser, staff):
    password_step(browser, staff.email)
    code = outbox.last_code()
    for _ in range(5):
        code_step(browser, wrong(code))

    assert PENDING_CHALLENGE not in browser.session
    locked = password_step(browser, staff.email)

    assert locked.status_code == 429
    assert 290 <= int(locked["Retry-After"]) <= 300
    assert b"Too many wrong codes: signing in to this account is locked." in locked.content
    assert not is_signed_in(browser)


def test_a_signed_in_staff_member_visiting_the_login_page_goes_to_next(browser, staff):
    browser.force_login(staff)
    response = browser.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302 and response["Location"] == "/admin/accounts/user/"
