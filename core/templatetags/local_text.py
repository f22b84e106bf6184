"""Template filters for people-facing dates and amounts (see `core.l10n`):
`{{ moment|local_datetime }}`, `{{ day|local_date }}`, `{{ amount|toman }}`, `{{ n|local_number }}`."""

from django import template

from core import l10n

register = template.Library()


@register.filter
def local_datetime(value):
    return l10n.local_datetime(value) if value else ""


@register.filter
def local_date(value):
    return l10n.local_date(value) if value else ""


@register.filter
def toman(value):
    return l10n.toman(int(value)) if value is not None and value != "" else ""


@register.filter
def local_number(value):
    return l10n.local_number(int(value)) if value is not None and value != "" else ""
