"""What the apps' admins share: a confirmation page before a service runs, and its outcome shown
as a message (a refused operation becomes an error message and changes nothing)."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from library_project.errors import DomainError

CONFIRMATION_TEMPLATE = "admin/library_project/confirmation.html"


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
