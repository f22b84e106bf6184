"""Dates in the admin as staff read them: Jalali, in Tehran time, with Persian digits, when the
admin speaks Persian; Django's own Gregorian rendering otherwise.

Django's admin renders every date of a list column or a read-only field through
`display_for_field` / `display_for_value`, which know only the Gregorian calendar and are imported
by name into the modules that call them; `install()` puts the Jalali-aware versions there.
"""

import datetime

from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.db import models

from core.l10n import is_persian, local_date, local_datetime

_gregorian_display_for_field = utils.display_for_field
_gregorian_display_for_value = utils.display_for_value


def _jalali(value) -> str | None:
    """`value` as a Persian reader reads it, or None when it is not a date (or not Persian)."""
    if not is_persian():
        return None
    if isinstance(value, datetime.datetime):
        return local_datetime(value)
    if isinstance(value, datetime.date):
        return local_date(value)
    return None


def display_for_field(value, field, empty_value_display, avoid_link=False):
    if isinstance(field, models.DateField) and not getattr(field, "flatchoices", None):
        shown = _jalali(value)
        if shown is not None:
            return shown
    return _gregorian_display_for_field(value, field, empty_value_display, avoid_link)


def display_for_value(value, empty_value_display, boolean=False):
    shown = None if boolean else _jalali(value)
    if shown is not None:
        return shown
    return _gregorian_display_for_value(value, empty_value_display, boolean)


def install() -> None:
    """Route the admin's date rendering through this module (idempotent)."""
    for module in (utils, helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = display_for_field
        if hasattr(module, "display_for_value"):
            module.display_for_value = display_for_value
