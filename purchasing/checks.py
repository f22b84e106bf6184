"""`manage.py check`: a payment gateway that cannot load, or a webhook with no secret, is caught
early; `check --deploy` also refuses the development gateway, which collects no money."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from purchasing.gateways import DevelopmentGateway


@checks.register(checks.Tags.security)
def payment_gateway_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError as error:
        return [checks.Error(f"PAYMENT_GATEWAY cannot be imported: {error}", id="purchasing.E001")]
    if not issubclass(gateway, DevelopmentGateway) and not settings.PAYMENT_WEBHOOK_SECRET:
        return [
            checks.Warning(
                "PAYMENT_WEBHOOK_SECRET is empty: every payment webhook will be refused and "
                "pending wallet charges will never be credited.",
                id="purchasing.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def development_gateway_deploy_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """An Error even with the opt-in: it lets a demonstration start, it does not make a
    deployment that gives money away ready for production."""
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError:
        return []  # purchasing.E001 says so
    if not issubclass(gateway, DevelopmentGateway):
        return []
    if settings.ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION:
        hint = (
            "ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION is set: acceptable for a demonstration only, "
            "never where wallet balances buy anything."
        )
    else:
        hint = "Set PAYMENT_GATEWAY to a gateway that collects the money (see README)."
    return [
        checks.Error(
            "PAYMENT_GATEWAY is the development gateway: every wallet charge succeeds at once "
            "without collecting any money.",
            hint=hint,
            id="purchasing.E002",
        )
    ]
