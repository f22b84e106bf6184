"""Dates, times and amounts as a person reads them in the active language.

In Persian a date is Jalali, a time is Tehran's and every digit is Persian; in English a date is
Gregorian ISO and a time is UTC, as the texts always said. Machines never read these strings:
the API keeps ISO 8601 UTC timestamps and integer toman.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime
from django.utils import timezone, translation
from django.utils.translation import gettext

# Where Persian readers live; English texts keep UTC.
PERSIAN_TIME_ZONE = ZoneInfo("Asia/Tehran")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_THOUSANDS_SEPARATOR = "٬"


def is_persian(language: str | None = None) -> bool:
    """Whether `language` (the active language when None) is Persian."""
    return (language or translation.get_language() or "").lower().startswith("fa")


def persian_digits(text: str) -> str:
    """`text` with its ASCII digits written in Persian."""
    return text.translate(PERSIAN_DIGITS)


def local_number(value: int) -> str:
    """An integer with thousands separators: `12,500` in English, `۱۲٬۵۰۰` in Persian."""
    grouped = f"{value:,}"
    if is_persian():
        return persian_digits(grouped.replace(",", PERSIAN_THOUSANDS_SEPARATOR))
    return grouped


def toman(amount: int) -> str:
    """An amount of money for people: `12,500 toman`, `۱۲٬۵۰۰ تومان`."""
    return gettext("%(amount)s toman") % {"amount": local_number(amount)}


def _jalali(value: date | datetime) -> jdatetime.date | jdatetime.datetime:
    if isinstance(value, datetime):
        return jdatetime.datetime.fromgregorian(datetime=value)
    return jdatetime.date.fromgregorian(date=value)


def local_date(value: date | datetime) -> str:
    """A calendar day: `2026-12-03`, or `۱۴۰۵/۰۹/۱۲` (Jalali) in Persian.

    An aware datetime is first moved to the reader's zone, so the day is the one they live in.
    """
    if is_persian():
        if isinstance(value, datetime):
            value = timezone.localtime(value, PERSIAN_TIME_ZONE)
        return persian_digits(_jalali(value).strftime("%Y/%m/%d"))
    if isinstance(value, datetime):
        value = timezone.localtime(value, ZoneInfo("UTC"))
    return value.strftime("%Y-%m-%d")


def local_datetime(value: datetime) -> str:
    """A moment, with its zone named: `2026-12-03 14:30 UTC`, or its Jalali form in Tehran time."""
    if is_persian():
        moment = _jalali(timezone.localtime(value, PERSIAN_TIME_ZONE))
        return persian_digits(moment.strftime("%Y/%m/%d ساعت %H:%M")) + " به وقت تهران"
    return f"{timezone.localtime(value, ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC"
