"""What the apps' admins share: a confirmation page before a service runs, and its outcome shown
as a message (a refused operation becomes an error message and changes nothing); the refusal of
list filters on secret fields."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError

CONFIRMATION_TEMPLATE = "admin/library_project/confirmation.html"

# Secrets whose names say nothing of it: simplejwt keeps each refresh token whole.
SECRET_FIELDS = {("token_blacklist.outstandingtoken", "token")}


def is_secret_field(field: Field) -> bool:
    """A password hash, a stored token or code hash, a secret, or a stored token itself."""
    name = field.name
    return (
        name == "password"
        or name.endswith("_hash")
        or "secret" in name
        or (field.model._meta.label_lower, name) in SECRET_FIELDS
    )


def lookup_reaches_secret(model: type[Model], lookup: str) -> bool:
    """Whether a filter such as `customer__user__password__startswith` compares a secret field of
    `model` or of a model reached through its relations."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if not field.is_relation:
            return is_secret_field(field)
        model = field.related_model
        if model is None:  # a generic relation: no fields to follow
            return False
    return False


class SecretLookupsRefused:
    """ModelAdmin mixin: a list filter in the URL may not compare a secret field, directly or
    through relations, or `?password__startswith=…` would reveal a hash one character at a time
    (Django answers a refused lookup with 400)."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if lookup_reaches_secret(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)


def safe_next_url(request: HttpRequest, fallback: str) -> str:
    """The `next` parameter when it points into this site, else `fallback`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def confirmation_page(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    title: str,
    question: str,
    items: Iterable[str],
    consequence: str,
    confirm_label: str,
    cancel_url: str,
    hidden: Iterable[tuple[str, Any]] = (),
) -> TemplateResponse:
    """A page that asks before an operation; its form posts back to the current URL."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "question": question,
        "items": list(items),
        "consequence": consequence,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "hidden": list(hidden),
    }
    return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)


def action_confirmation_page(request, model_admin, queryset, **kwargs) -> TemplateResponse:
    """`confirmation_page` for an admin action: the form re-posts the action and the selection."""
    hidden = [("action", request.POST.get("action", ""))]
    hidden += [(helpers.ACTION_CHECKBOX_NAME, obj.pk) for obj in queryset]
    return confirmation_page(
        request, model_admin, cancel_url=request.get_full_path(), hidden=hidden, **kwargs
    )


def is_confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("confirm") == "yes"


def refusal_text(error: DomainError) -> str:
    """A refused operation in words: the detail, and each offending field's messages."""
    errors = error.extra.get("errors") or {}
    fields = " ".join(f"{name}: {' '.join(texts)}" for name, texts in errors.items())
    return f"{error.detail} {fields}".strip()


def run_service(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    call: Callable[[], Any],
    success: str | None = None,
    refused: str = "{reason}",
) -> bool:
    """Call a service; its refusal becomes an error message (`refused`, formatted with the
    `reason`), its success the `success` message."""
    try:
        call()
    except DomainError as error:
        model_admin.message_user(
            request, refused.format(reason=refusal_text(error)), messages.ERROR
        )
        return False
    if success:
        model_admin.message_user(request, success, messages.SUCCESS)
    return True
