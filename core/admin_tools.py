"""What the apps' admins share: read-only pages for rows only services write, a confirmation page
(or a page asking a reason) before a service runs, and its outcome shown as a message (a refused
operation becomes an error message and changes nothing); the refusal of list filters on secret
fields and of action selections that name no row."""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Field, Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import has_admin_permissions

CONFIRMATION_TEMPLATE = "admin/library_project/confirmation.html"
REASON_TEMPLATE = "admin/library_project/reason.html"

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


class ReadOnlyAdmin:
    """ModelAdmin or inline mixin for rows only services write: shown, never added, changed or
    deleted here (`obj` is optional because inlines pass it to `has_add_permission`)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


def act_with_reason(
    request,
    model_admin: admin.ModelAdmin,
    items: Iterable[Model],
    *,
    form_class: type[forms.Form],
    title: str,
    question: str,
    confirm_label: str,
    describe: Callable[[Model], str],
    call: Callable[[Model, str], None],
    done: str,
) -> TemplateResponse | None:
    """An admin action asking for a reason first (`form_class`, with a `reason` field: an invalid
    one shows the form again with its error), then calling `call(item, reason)` per item and
    saying what happened to each."""
    items = list(items)
    form = form_class(request.POST if request.POST.get("apply") == "yes" else None)
    if not form.is_valid():
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            "question": question,
            "items": [describe(item) for item in items],
            "form": form,
            "action": request.POST.get("action", ""),
            "selected": [item.pk for item in items],
            "confirm_label": confirm_label,
            "cancel_url": request.get_full_path(),
        }
        return TemplateResponse(request, REASON_TEMPLATE, context)
    for item in items:
        try:
            call(item, form.cleaned_data["reason"])
        except DomainError as error:
            model_admin.message_user(
                request,
                _("%(item)s: %(reason)s") % {"item": describe(item), "reason": error.detail},
                messages.WARNING,
            )
        else:
            model_admin.message_user(
                request,
                # Translators: what was done (e.g. "Withdrawn:"), then the row in words.
                _("%(done)s %(item)s.") % {"done": done, "item": describe(item)},
                messages.SUCCESS,
            )
    return None


def _names_a_row(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < int(value) < 2**63


class SelectionChecked:
    """ModelAdmin mixin: an action posted with ids that cannot name a row is refused with a
    message (Django's own lookup would fail with a server error)."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(_names_a_row(value) for value in selected):
            self.message_user(request, _("The selection names no such rows."), messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


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


class ConfirmedOperationAdmin:
    """ModelAdmin mixin for one service operation on a row, run only after a confirmation page:
    from the row's page (`<id>/<operation-name>/`, its link shown when `operation_flag` is true in
    the change form's context) and as a list action (`confirmed_action`, declared with
    `permissions=["operation"]`). A refused call becomes an error message and changes nothing."""

    operation_name = ""  # the URL's last segment (with hyphens) and its name's suffix
    operation_permission = ""  # the "app_label.codename" the operation requires
    operation_flag = ""  # the change form's context variable: may this user run it
    # title, question, consequence, confirm_label (lazy translations are welcome)
    operation_page: dict[str, str] = {}
    open_status: str | None = None  # the only status the operation applies to, if any
    describe_template = "{obj}"  # the row in words, formatted with the row as `obj`
    success_template = ""  # the message after the operation from the row's page (`obj`)
    success_per_row = False  # whether the list action shows it for each row too
    # The message after the list action, formatted with the `count` of rows done; shown from
    # `summary_from` rows on.
    action_summary = ""
    summary_from = 1

    def describe(self, obj) -> str:
        """The row in words, on the confirmation page and in messages."""
        return self.describe_template.format(obj=obj)

    def perform(self, request: HttpRequest, obj) -> None:
        raise NotImplementedError

    def action_summary_text(self, count: int) -> str:
        """The message after the list action for `count` rows done (`action_summary`)."""
        return self.action_summary.format(count=count) if self.action_summary else ""

    def still_open(self, obj) -> bool:
        """Whether the operation still has something to do on `obj`: its status is `open_status`
        (any row when there is none)."""
        return self.open_status is None or obj.status == self.open_status

    def refused_template(self, obj) -> str:
        """The error message of a refusal on `obj`, formatted with the refusal's `reason`."""
        return "{reason}"

    def operation_success(self, obj) -> str | None:
        """The message after the operation on one row from its page."""
        return self.success_template.format(obj=obj) if self.success_template else None

    def has_operation_permission(self, request: HttpRequest) -> bool:
        return has_admin_permissions(request.user, self.operation_permission)

    def get_urls(self):
        opts = self.opts
        return [
            path(
                f"<int:object_id>/{self.operation_name.replace('_', '-')}/",
                self.admin_site.admin_view(self.operation_view),
                name=f"{opts.app_label}_{opts.model_name}_{self.operation_name}",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        flag = {self.operation_flag: self.has_operation_permission(request)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **flag})

    def _run(self, request: HttpRequest, obj, success: str | None) -> bool:
        return run_service(
            request,
            self,
            lambda: self.perform(request, obj),
            success,
            self.refused_template(obj),
        )

    def operation_view(self, request: HttpRequest, object_id):
        """GET asks (or explains that there is nothing left to do); POST calls the service."""
        if not self.has_operation_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
        )
        back = safe_next_url(request, change_url)
        if is_confirmed(request):
            self._run(request, obj, self.operation_success(obj))
            return HttpResponseRedirect(back)
        if not self.still_open(obj):
            self.message_user(
                request,
                _("Nothing to do: %(item)s is %(status)s.")
                % {"item": self.describe(obj), "status": obj.get_status_display().lower()},
            )
            return HttpResponseRedirect(back)
        return confirmation_page(
            request,
            self,
            items=[self.describe(obj)],
            cancel_url=back,
            hidden=[("next", back)],
            **self.operation_page,
        )

    def confirmed_action(self, request: HttpRequest, queryset):
        """The list action: a confirmation page, then the service once per selected row."""
        if not is_confirmed(request):
            items = [self.describe(obj) for obj in queryset]
            return action_confirmation_page(
                request, self, queryset, items=items, **self.operation_page
            )
        done = 0
        for obj in queryset:
            if self.still_open(obj):
                success = self.operation_success(obj) if self.success_per_row else None
                done += self._run(request, obj, success)
            else:
                self.message_user(
                    request,
                    _("Skipped %(item)s: %(status)s.")
                    % {"item": self.describe(obj), "status": obj.get_status_display().lower()},
                )
        summary = self.action_summary_text(done)
        if summary and done >= self.summary_from:
            self.message_user(request, summary, messages.SUCCESS)
        return None
