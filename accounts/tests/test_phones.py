"""Phone numbers as Iranians type them: one number, whatever its form, at sign-up and sign-in."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.phones import national_or_international, normalize_phone
from accounts.tests.conftest import as_user
from accounts.tests.factories import PASSWORD, UserFactory
from library_project.tests.outbox import outbox

E164 = "+989121234567"
# The same mobile number as members type it.
TYPED = [
    "09121234567",
    "+989121234567",
    "989121234567",
    "00989121234567",
    "9121234567",
    "0912 123 4567",
    "0912-123-4567",
    "(0912) 123 45 67",
    " +98 912 123 4567 ",
    "0098-912-123-4567",
    "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
    "+۹۸۹۱۲۱۲۳۴۵۶۷",
    "۰۰۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
    "۰۹۱۲-123-۴۵۶۷",  # digits of both scripts in one number
]
NOT_A_MOBILE = [
    "",
    "phone",
    "0912123",  # a digit short
    "091212345678",  # a digit too many
    "+98912123456789",
    "02112345678",  # a Tehran landline: no SMS reaches it
    "+989121234567 ext. 12",
    "0" * 40,
]


@pytest.mark.parametrize("typed", TYPED)
def test_every_typed_form_is_the_same_e164_number(typed):
    assert normalize_phone(typed) == E164


@pytest.mark.parametrize("typed", NOT_A_MOBILE)
def test_what_is_not_a_mobile_number_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        normalize_phone(typed)
    assert refused.value.code == "invalid_phone"


def test_a_number_abroad_keeps_its_country():
    assert normalize_phone("+44 7400 123456") == "+447400123456"
    assert normalize_phone("0044 7400 123456") == "+447400123456"


def test_providers_get_the_national_form_at_home_and_00_abroad():
    assert national_or_international("+989121234567") == "09121234567"
    assert national_or_international("+447400123456") == "00447400123456"


SIGNUP = {"email": "sara@example.com", "password": PASSWORD, "first_name": "Sara"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", TYPED)
def test_sign_up_stores_the_number_in_e164_whatever_its_form(api, typed):
    response = api.post("/api/auth/signup/", {**SIGNUP, "phone": typed})
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == E164
    assert User.objects.get().phone == E164


@pytest.mark.django_db
@pytest.mark.parametrize("typed", NOT_A_MOBILE)
def test_sign_up_with_no_mobile_number_is_a_400_naming_the_phone(api, typed):
    response = api.post("/api/auth/signup/", {**SIGNUP, "phone": typed})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]
    assert not User.objects.exists()
    assert outbox.mail == []


@pytest.mark.django_db
def test_the_same_number_typed_another_way_is_taken(api):
    UserFactory(phone=E164)
    response = api.post("/api/auth/signup/", {**SIGNUP, "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    assert list(response.json()["errors"]) == ["phone"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("typed", TYPED)
def test_sign_in_finds_the_account_by_its_number_in_any_form(api, typed):
    member = UserFactory(phone=E164)
    step1 = api.post("/api/auth/login/", {"username": typed, "password": PASSWORD})
    assert step1.status_code == 200, step1.json()
    assert [m.to for m in outbox.sms] == [E164]
    step2 = api.post(
        "/api/auth/login/verify/",
        {"otp_token": step1.json()["otp_token"], "code": outbox.last_code(E164)},
    )
    assert step2.status_code == 200
    assert as_user(member).get("/api/users/me/").json()["phone"] == E164


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0912123", "091212345678", "02112345678", "not a phone"])
def test_sign_in_with_a_name_that_is_neither_email_nor_mobile_is_an_unknown_account(api, typed):
    """As any unknown name: the schema takes any string, and the answer tells nothing more."""
    UserFactory(phone=E164)
    response = api.post("/api/auth/login/", {"username": typed, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert outbox.sms == []


@pytest.mark.django_db
def test_a_wrong_password_by_phone_in_persian_digits_is_the_usual_401(api):
    UserFactory(phone=E164)
    response = api.post("/api/auth/login/", {"username": "۰۹۱۲۱۲۳۴۵۶۷", "password": "Wr0ng!pass"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.django_db(transaction=True)
def test_a_new_phone_typed_in_persian_digits_is_texted_and_stored_in_e164(member):
    client = as_user(member)
    started = client.post("/api/users/me/phone/", {"password": PASSWORD, "phone": "۰۹۱۲-۱۲۳-۴۵۶۷"})
    assert started.status_code == 202, started.json()
    confirmed = client.post(
        "/api/users/me/phone/confirm/",
        {"change_token": started.json()["change_token"], "code": outbox.last_code(E164)},
    )
    assert confirmed.status_code == 200
    member.refresh_from_db()
    assert member.phone == E164


@pytest.mark.django_db
def test_my_own_number_typed_another_way_is_no_phone_change(member):
    local = "0" + member.phone.removeprefix("+98")
    response = as_user(member).patch("/api/users/me/", {"phone": local}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_staff_sign_a_member_up_with_the_number_as_typed(staff_client):
    form = {
        "email": "walk.in@example.com",
        "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "first_name": "Reza",
        "last_name": "Karimi",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    response = staff_client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert User.objects.get(email="walk.in@example.com").phone == E164


@pytest.mark.django_db
def test_staff_change_a_phone_with_the_number_as_typed(staff_client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(phone="0912-123-4567", first_name=member.first_name, last_name=member.last_name)
    data = {k: v for k, v in data.items() if k in form.fields}
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    member.refresh_from_db()
    assert member.phone == E164
