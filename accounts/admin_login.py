"""Staff sign in to the Django admin in the members' two steps: password, then the SMS code.

Both steps call the auth service, so the admin shares the API's throttles, attempt counters and
lockouts. Between the steps the session holds only the challenge's opaque `otp_token`, never the
code; the session becomes a staff session only after the code is checked.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.errors import InvalidCode, SmsUnavailable, TooManyAttempts
from accounts.models import User
from accounts.services.signin import user_login_code_check, user_login_start
from accounts.throttling import client_ip
from core.admin_tools import safe_next_url
from core.errors import DomainError

PENDING_CHALLENGE = "admin_login_otp_token"


def not_staff() -> str:
    """The admin's own refusal of a non-staff account, worded as Django words it (in the active
    language)."""
    return AdminAuthenticationForm.error_messages["invalid_login"] % {
        "username": User._meta.get_field(User.USERNAME_FIELD).verbose_name
    }


# The refusal in the default language, as it was worded when this module was imported.
NOT_STAFF = not_staff()


class PasswordStepForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Email or phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeStepForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\d{6}$",
        label=gettext_lazy("Code from the SMS"),
        error_messages={"invalid": gettext_lazy("Enter the 6 digits of the code.")},
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


def _error_text(error: DomainError) -> str:
    if isinstance(error, InvalidCode):
        left = error.extra["attempts_left"]
        attempts = ngettext("%(left)s attempt left.", "%(left)s attempts left.", left) % {
            "left": left
        }
        return f"{error.detail} {attempts}"
    return str(error.detail)


def _page(
    request: HttpRequest, template: str, form: forms.Form, next_url: str, error=None
) -> HttpResponse:
    """The admin's login page; a throttle or lockout answers 429, an SMS outage 503, both with
    Retry-After."""
    if error is not None:
        form.add_error(None, _error_text(error))
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
        "form": form,
        "next": next_url,
        "restart_url": _with_next("admin:login", next_url),
    }
    request.current_app = admin.site.name
    response = render(request, template, context)
    if isinstance(error, TooManyAttempts | SmsUnavailable):
        response.status_code = error.http_status
        for name, value in error.headers().items():
            response[name] = value
    return response


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def admin_login_password(request: HttpRequest) -> HttpResponse:
    """Step one: the password; the service texts a code and the session keeps its challenge."""
    next_url = safe_next_url(request, reverse("admin:index"))
    if request.method == "GET" and admin.site.has_permission(request):
        return HttpResponseRedirect(next_url)
    form = PasswordStepForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return _page(request, "admin/login.html", form, next_url)
    try:
        issued = user_login_start(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            client_ip=client_ip(request),
        )
    except DomainError as error:
        return _page(request, "admin/login.html", form, next_url, error)
    request.session[PENDING_CHALLENGE] = issued.otp_token
    return HttpResponseRedirect(_with_next("admin_login_code", next_url))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def admin_login_code(request: HttpRequest) -> HttpResponse:
    """Step two: the SMS code; only a staff account that passes it gets an admin session."""
    next_url = safe_next_url(request, reverse("admin:index"))
    otp_token = request.session.get(PENDING_CHALLENGE)
    if not otp_token:
        return HttpResponseRedirect(_with_next("admin:login", next_url))
    form = CodeStepForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return _page(request, "admin/login_code.html", form, next_url)
    try:
        user = user_login_code_check(
            otp_token=otp_token, code=form.cleaned_data["code"], client_ip=client_ip(request)
        )
    except DomainError as error:
        if _challenge_is_over(error):
            del request.session[PENDING_CHALLENGE]
        return _page(request, "admin/login_code.html", form, next_url, error)
    del request.session[PENDING_CHALLENGE]
    if not (user.is_active and user.is_staff):
        form.add_error(None, not_staff())
        return _page(request, "admin/login_code.html", form, next_url)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(next_url)


def _challenge_is_over(error: DomainError) -> bool:
    """Only a throttled check or a wrong code with attempts left leaves the challenge usable."""
    if isinstance(error, InvalidCode):
        return error.extra["attempts_left"] == 0
    return type(error) is not TooManyAttempts
