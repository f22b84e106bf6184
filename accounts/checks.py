"""`manage.py check`: an SMS backend that cannot load, or Kavenegar without its key or template,
is caught before a member asks for a code; `check --deploy` also refuses backends that deliver
nothing (in-memory) or print sign-in codes into the process output (console)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from accounts.sms import ConsoleSmsBackend, KavenegarSmsBackend, LocmemSmsBackend


@checks.register(checks.Tags.security)
def sms_backend_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError as error:
        return [checks.Error(f"SMS_BACKEND cannot be imported: {error}", id="accounts.E001")]
    if not issubclass(backend, KavenegarSmsBackend):
        return []
    missing = [
        name
        for name in ("KAVENEGAR_API_KEY", "KAVENEGAR_LOGIN_TEMPLATE")
        if not getattr(settings, name)
    ]
    if missing:
        return [
            checks.Error(
                f"SMS_BACKEND is Kavenegar but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} empty: no sign-in code can be sent.",
                hint="Set them from your Kavenegar panel (see README, Kavenegar).",
                id="accounts.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def development_sms_deploy_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError:
        return []  # accounts.E001 says so
    if not issubclass(backend, ConsoleSmsBackend | LocmemSmsBackend):
        return []
    return [
        checks.Error(
            f"SMS_BACKEND is {settings.SMS_BACKEND}: sign-in codes are printed into the process "
            "output or kept in memory, never texted; whoever reads the logs holds every member's "
            "second factor.",
            hint="Set SMS_BACKEND=accounts.sms.KavenegarSmsBackend (see README, Kavenegar).",
            id="accounts.E003",
        )
    ]
