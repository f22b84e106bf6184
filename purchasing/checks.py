"""`manage.py check`: a payment gateway that cannot load, or a webhook with no secret, is caught early."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string


@checks.register(checks.Tags.security)
def payment_gateway_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError as error:
        return [checks.Error(f"PAYMENT_GATEWAY cannot be imported: {error}", id="purchasing.E001")]
    from purchasing.gateways import DevelopmentGateway

    if not issubclass(gateway, DevelopmentGateway) and not settings.PAYMENT_WEBHOOK_SECRET:
        return [
            checks.Warning(
                "PAYMENT_WEBHOOK_SECRET is empty: every payment webhook will be refused and "
                "pending wallet charges will never be credited.",
                id="purchasing.W001",
            )
        ]
    return []
