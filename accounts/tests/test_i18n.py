"""The member's language: on the profile, at sign-up, and in every SMS and email sent to them,
whatever the language of the request; and the accounts API's errors in Persian."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts import tasks
from accounts.models import LoginCodeLockout, Notification, NotificationKind, User
from accounts.services.signin import _lockout_notice
from accounts.tests.conftest import as_user
from accounts.tests.factories import PASSWORD, CustomerFactory
from library_project.tests.outbox import outbox

pytestmark = pytest.mark.django_db


def _persian(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


@pytest.fixture
def persian_member():
    user = CustomerFactory().user
    user.language = "fa"
    user.save(update_fields=["language"])
    return user


# --- the profile ------------------------------------------------------------------------------


def test_users_me_shows_the_language(member):
    assert as_user(member).get("/api/users/me/").json()["language"] == member.language == "en"


def test_a_member_changes_the_language(member):
    response = as_user(member).patch("/api/users/me/", {"language": "fa"})
    assert response.status_code == 200
    assert response.json()["language"] == "fa"
    member.refresh_from_db()
    assert member.language == "fa"


def test_an_unknown_language_is_refused_and_nothing_changes(member):
    response = as_user(member).patch(
        "/api/users/me/", {"language": "de", "first_name": "Changed"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"language"}
    member.refresh_from_db()
    assert member.language == "en"
    assert member.first_name != "Changed"


def test_put_keeps_the_language_when_not_sent(persian_member):
    response = as_user(persian_member).put(
        "/api/users/me/", {"first_name": "Leila", "last_name": "K"}
    )
    assert response.status_code == 200
    persian_member.refresh_from_db()
    assert persian_member.language == "fa"


# --- sign-up ----------------------------------------------------------------------------------

SIGNUP = {"email": "new@example.com", "phone": "09121234567", "password": PASSWORD}


def test_sign_up_takes_the_language_of_the_request(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/auth/signup/", SIGNUP, HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 201
    assert response.json()["language"] == "fa"
    user = User.objects.get(email="new@example.com")
    assert user.language == "fa"
    # The activation email is written in it.
    assert _persian(outbox.mail_to("new@example.com")[0].subject)


def test_sign_up_in_english_by_default(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/auth/signup/", SIGNUP)
    assert response.status_code == 201
    assert User.objects.get(email="new@example.com").language == "en"
    assert outbox.mail[0].subject == "Library: confirm your email"


def test_sign_up_with_a_chosen_language_overrides_the_request(api):
    response = api.post(
        "/api/auth/signup/", {**SIGNUP, "language": "en"}, HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert response.status_code == 201
    assert User.objects.get(email="new@example.com").language == "en"


def test_sign_up_with_an_unknown_language_is_refused(api):
    response = api.post("/api/auth/signup/", {**SIGNUP, "language": "xx"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"language"}
    assert not User.objects.filter(email="new@example.com").exists()


# --- SMS and email in the member's language ---------------------------------------------------


def test_the_sign_in_code_is_texted_in_the_members_language(api, persian_member):
    response = api.post(
        "/api/auth/login/",
        {"username": persian_member.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = outbox.sms_to(persian_member.phone)[-1].body
    assert _persian(body)
    assert "Your library login code" not in body
    assert body.startswith("کد ورود")
    assert outbox.last_code().isdigit() and len(outbox.last_code()) == 6


def test_the_reset_link_is_mailed_in_the_members_language(
    api, persian_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/auth/password/reset/",
            {"email": persian_member.email},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 202
    assert response.json()["detail"] == "If that account exists, a reset link was sent."
    letter = outbox.mail_to(persian_member.email)[-1]
    assert letter.subject == "کتابخانه: بازنشانی گذرواژه"
    assert "گذرواژه" in letter.body and "Hello" not in letter.body
    assert "۱ ساعت" in letter.body  # hours in Persian digits
    assert outbox.link_token(letter)  # the link and its token stay as they are


def test_an_english_member_gets_english_mail_from_a_persian_request(
    api, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/auth/password/reset/", {"email": member.email}, HTTP_ACCEPT_LANGUAGE="fa")
    letter = outbox.mail_to(member.email)[-1]
    assert letter.subject == "Library: reset your password"
    assert letter.body.startswith("Hello ")
    assert "The link is valid for 1 hour. " in letter.body


def test_a_notifications_email_subject_is_in_the_members_language(persian_member):
    notification = Notification.objects.create(
        user=persian_member,
        kind=NotificationKind.LOGIN_CODE_LOCKOUT,
        message="متن اعلان",
        event_key="test-fa-subject",
    )
    tasks.deliver_notification.apply(args=[notification.pk])
    letter = outbox.mail_to(persian_member.email)[-1]
    assert letter.subject == "کتابخانه: قفل شدن ورود پس از کدهای نادرست"
    assert letter.body == "متن اعلان"
    notification.refresh_from_db()
    assert notification.delivered_at is not None


def test_the_lockout_notice_is_written_in_the_members_language(persian_member):
    now = timezone.now()
    lockout = LoginCodeLockout(
        user=persian_member,
        window_started_at=now,
        wrong_codes=5,
        locked_until=now + timedelta(minutes=15),
    )
    with translation.override("fa"):
        text = _lockout_notice(lockout)
    assert "۵ کد ورود نادرست" in text
    assert "به وقت تهران" in text
    with translation.override("en"):
        assert "5 wrong sign-in codes" in _lockout_notice(lockout)


# --- errors in Persian ------------------------------------------------------------------------


def test_wrong_credentials_answer_in_persian_with_the_same_code(api, member):
    data = {"username": member.email, "password": "Wrong-password-1"}
    english = api.post("/api/auth/login/", data).json()
    persian = api.post("/api/auth/login/", data, HTTP_ACCEPT_LANGUAGE="fa").json()
    assert english["code"] == persian["code"] == "invalid_credentials"
    assert english["detail"] == "The username or password is wrong."
    assert persian["detail"] == "نام کاربری یا گذرواژه نادرست است."


def test_an_invalid_phone_answers_in_persian_with_the_same_code(api):
    data = {**SIGNUP, "phone": "12345"}
    english = api.post("/api/auth/signup/", data)
    persian = api.post("/api/auth/signup/", data, HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 400
    assert english.json()["code"] == persian.json()["code"] == "invalid"
    assert english.json()["errors"]["phone"][0].startswith("Enter a mobile phone number")
    assert persian.json()["errors"]["phone"][0].startswith("یک شماره همراه وارد کنید")


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_user_list_filters_by_language(client, admin, persian_member, member):
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_changelist"), {"language": "fa"})
    assert response.status_code == 200
    emails = [user.email for user in response.context["cl"].result_list]
    assert persian_member.email in emails and member.email not in emails


def test_the_admin_code_page_is_persian(client):
    session = client.session
    session["admin_login_otp_token"] = "x"
    session.save()
    response = client.get(reverse("admin_login_code"), HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 200
    assert "کد پیامک‌شده" in response.content.decode()
    assert "کدی نرسید؟ دوباره وارد شوید" in response.content.decode()


def test_the_phone_change_code_is_texted_in_the_members_language(persian_member):
    response = as_user(persian_member).post(
        "/api/users/me/phone/",
        {"password": PASSWORD, "phone": "09351112233"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 202, response.json()
    body = outbox.sms_to("+989351112233")[-1].body
    assert body.startswith("کد کتابخانه برای تأیید این شماره همراه تازه")
    assert outbox.last_code("+989351112233").isdigit()


def test_a_domain_error_with_a_number_answers_in_persian_digits():
    from accounts.errors import TooManyAttempts

    with translation.override("fa"):
        error = TooManyAttempts(retry_after=30)
    assert (
        error.as_dict()["detail"] == "تلاش‌ها بیش از حد مجاز بود. ۳۰ ثانیهٔ دیگر دوباره امتحان کنید."
    )
    assert error.as_dict()["retry_after"] == 30
    assert TooManyAttempts(retry_after=30).detail == "Too many attempts. Try again in 30 seconds."


def test_the_admin_user_list_is_persian(client, admin):
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_changelist"), HTTP_ACCEPT_LANGUAGE="fa")
    page = response.content.decode()
    assert response.status_code == 200
    assert "طرح کنونی" in page  # the plan column and filter
    assert "شماره همراه" in page  # the phone column
    assert "باطل کردن همهٔ توکن‌ها" in page  # the action


def test_a_refused_token_answers_in_persian_with_the_same_code(member):
    client = as_user(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    english = client.get("/api/users/me/").json()
    persian = client.get("/api/users/me/", HTTP_ACCEPT_LANGUAGE="fa").json()
    assert english["code"] == persian["code"] == "user_inactive"
    assert english["detail"] == "User is inactive."
    assert persian["detail"] == "کاربر غیرفعال است."
