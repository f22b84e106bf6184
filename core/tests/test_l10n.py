"""People-facing dates and amounts: Gregorian and UTC in English, Jalali, Tehran time and Persian
digits in Persian; the admin shows its dates the same way."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import CustomerFactory, MembershipFactory
from core.l10n import local_date, local_datetime, local_number, toman

# 21:00 UTC on 20 March 2026 is 00:30 on 1 Farvardin 1405 in Tehran (UTC+03:30): the Persian
# text must move to the next day and the new year.
NOWRUZ_EVE = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)


def test_english_texts_keep_gregorian_dates_in_utc():
    with translation.override("en"):
        assert local_datetime(NOWRUZ_EVE) == "2026-03-20 21:00 UTC"
        assert local_date(NOWRUZ_EVE) == "2026-03-20"
        assert local_date(date(2026, 12, 3)) == "2026-12-03"


def test_persian_texts_read_jalali_dates_in_tehran_time_with_persian_digits():
    with translation.override("fa"):
        assert local_datetime(NOWRUZ_EVE) == "۱۴۰۵/۰۱/۰۱ ساعت ۰۰:۳۰ به وقت تهران"
        assert local_date(NOWRUZ_EVE) == "۱۴۰۵/۰۱/۰۱"
        assert local_date(date(2026, 12, 3)) == "۱۴۰۵/۰۹/۱۲"


@pytest.mark.parametrize(
    ("language", "amount", "expected"),
    [
        ("en", 12500, "12,500 toman"),
        ("en", 1250000, "1,250,000 toman"),
        ("fa", 12500, "۱۲٬۵۰۰ تومان"),
        ("fa", 0, "۰ تومان"),
    ],
)
def test_toman_amounts_have_thousands_separators_in_the_readers_digits(language, amount, expected):
    with translation.override(language):
        assert toman(amount) == expected


def test_numbers_group_thousands_in_either_language():
    with translation.override("fa"):
        assert local_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    with translation.override("en"):
        assert local_number(1234567) == "1,234,567"


def test_template_filters_render_the_same_texts():
    template = Template("{% load local_text %}{{ at|local_datetime }} · {{ amount|toman }}")
    with translation.override("fa"):
        shown = template.render(Context({"at": NOWRUZ_EVE, "amount": 3000}))
    assert shown == "۱۴۰۵/۰۱/۰۱ ساعت ۰۰:۳۰ به وقت تهران · ۳٬۰۰۰ تومان"


@pytest.mark.django_db
def test_the_admin_shows_jalali_dates_in_persian_and_gregorian_in_english(staff_client):
    MembershipFactory(customer=CustomerFactory(), starts_at=NOWRUZ_EVE)
    url = reverse("admin:accounts_membership_changelist")

    persian = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    english = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "۱۴۰۵/۰۱/۰۱ ساعت ۰۰:۳۰ به وقت تهران" in persian
    assert 'dir="rtl"' in persian
    assert "۱۴۰۵" not in english
    assert "March 20, 2026, 9 p.m." in english
