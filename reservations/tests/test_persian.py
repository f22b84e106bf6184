"""The reservations' texts in Persian: API refusals, notices in the member's language, the admin."""

from zoneinfo import ZoneInfo

import jdatetime
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Notification
from accounts.tests.factories import member
from catalog.tests.factories import BookFactory
from reservations.services import reservation_create, reservation_return

pytestmark = pytest.mark.django_db

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def client_for(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def speaking(customer, language: str):
    customer.user.language = language
    customer.user.save(update_fields=["language"])
    return customer


def over_the_limit(language: str):
    """The answer to a sixth reservation of a plus member (the plan allows five)."""
    client = client_for(member(balance=100_000))
    for _ in range(5):
        book = BookFactory(total_units=1)
        assert client.post("/api/reservations/", {"book": book.pk, "days": 1}).status_code == 201
    book = BookFactory(total_units=1)
    return client.post(
        "/api/reservations/", {"book": book.pk, "days": 1}, HTTP_ACCEPT_LANGUAGE=language
    )


def test_the_reservation_limit_is_refused_in_persian_with_the_same_code():
    english, persian = over_the_limit("en").json(), over_the_limit("fa").json()
    assert english["code"] == persian["code"] == "reservation_limit_reached"
    assert english["detail"] == "You hold as many active reservations as your plan allows."
    assert persian["detail"] == "شما به سقف رزروهای فعالی که عضویتتان اجازه می‌دهد رسیده‌اید."
    assert english["limit"] == persian["limit"] == 5


def test_a_reservation_the_wallet_cannot_pay_names_the_missing_amount_in_persian_digits():
    book = BookFactory(total_units=1)
    customer = member(balance=1_000)  # 7 days cost 7,000 toman: 6,000 are missing
    client = client_for(customer)
    body = {"book": book.pk, "days": 7}
    english = client.post("/api/reservations/", body, HTTP_ACCEPT_LANGUAGE="en")
    persian = client.post("/api/reservations/", body, HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 402
    assert english.json()["code"] == persian.json()["code"] == "insufficient_funds"
    assert english.json()["detail"] == "The wallet balance does not cover this payment."
    assert persian.json()["detail"] == (
        "موجودی کیف پول شما برای این پرداخت کافی نیست؛ ۶٬۰۰۰ تومان کم دارید."
    )
    assert persian.json()["missing_amount"] == 6_000  # the figures stay numbers


def test_an_unknown_book_is_named_in_persian():
    response = client_for(member()).post(
        "/api/reservations/", {"book": 999_999, "days": 1}, HTTP_ACCEPT_LANGUAGE="fa"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "book": ["شناسهٔ «999999» نامعتبر است؛ چنین کتابی وجود ندارد."]
    }


def jalali_in_tehran(moment) -> str:
    local = moment.astimezone(ZoneInfo("Asia/Tehran"))
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.year:04d}/{day.month:02d}/{day.day:02d} ساعت {local:%H:%M}"
    return text.translate(PERSIAN_DIGITS)


def test_the_queue_granted_notice_is_written_in_the_members_language_with_a_jalali_date():
    book = BookFactory(total_units=1, title="بوف کور")
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    persian_waiter = speaking(member(), "fa")
    english_waiter = speaking(member(), "en")
    persian_entry = reservation_create(customer=persian_waiter, book_id=book.pk, days=5)
    english_entry = reservation_create(customer=english_waiter, book_id=book.pk, days=1)

    reservation_return(customer=holder, reservation_id=held.pk)

    entry = persian_entry.queue_entry
    entry.refresh_from_db()
    notice = Notification.objects.get(event_key=f"queue_granted:{entry.pk}")
    assert notice.message == (
        "مژده: نسخه‌ای از «بوف کور» برای ۵ روز، تا "
        f"{jalali_in_tehran(entry.reservation.ends_at)} به وقت تهران، در اختیار شماست."
    )
    assert english_entry.queue_entry is not None  # still waiting: nothing said to them yet
    assert not Notification.objects.filter(
        event_key=f"queue_granted:{english_entry.queue_entry.pk}"
    )


def test_the_queue_granted_notice_stays_english_for_an_english_member():
    book = BookFactory(total_units=1, title="Dune")
    holder = member()
    held = reservation_create(customer=holder, book_id=book.pk, days=3).reservation
    entry = reservation_create(customer=speaking(member(), "en"), book_id=book.pk, days=1)
    reservation_return(customer=holder, reservation_id=held.pk)
    queued = entry.queue_entry
    queued.refresh_from_db()
    notice = Notification.objects.get(event_key=f"queue_granted:{queued.pk}")
    ends_at = queued.reservation.ends_at.astimezone(ZoneInfo("UTC"))
    assert notice.message == (
        f"Good news: a copy of “Dune” is yours for 1 day, until {ends_at:%Y-%m-%d %H:%M} UTC."
    )


def test_the_admin_dashboard_speaks_persian(staff_client):
    body = staff_client.get(reverse("admin-dashboard"), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "امانت‌های فعال" in body  # Active loans
    assert "نوبت‌های انتظار" in body  # Waiting entries
    assert "پیشخوان" in body  # Dashboard
    assert "Active loans" not in body
    index = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "گزارش نسبت انتظار" in index  # Holds-ratio report
    assert 'href="/admin/dashboard/holds/"' in index


def test_the_admin_end_confirmation_page_speaks_persian(staff_client):
    book = BookFactory(total_units=1)
    reservation = reservation_create(customer=member(), book_id=book.pk, days=3).reservation
    url = reverse("admin:reservations_reservation_end", args=[reservation.pk])
    body = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "این رزرو همین حالا پایان یابد؟" in body
    assert "بله، همین حالا پایان یابد" in body
    assert f"رزرو شمارهٔ {reservation.pk}:" in body


def test_the_reservation_list_in_the_admin_speaks_persian(staff_client):
    reservation_create(customer=member(), book_id=BookFactory(total_units=1).pk, days=3)
    body = staff_client.get(
        reverse("admin:reservations_reservation_changelist"), HTTP_ACCEPT_LANGUAGE="fa"
    ).content.decode()
    assert "زمان پایان" in body  # the "ends at" column
    assert "فعال" in body  # the "active" status
    assert "پایان همین حالا (نسخه به صف انتظار می‌رود)" in body  # the action
