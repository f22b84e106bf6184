"""`manage.py check`: a payment gateway that cannot load, or a webhook with no secret, is caught
early; `check --deploy` also refuses the development gateway, which collects no money, and
Zarinpal without a merchant id or in its sandbox (which collects none either)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from purchasing.gateways import DevelopmentGateway, ZarinpalGateway


@checks.register(checks.Tags.security)
def payment_gateway_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError as error:
        return [checks.Error(f"PAYMENT_GATEWAY cannot be imported: {error}", id="purchasing.E001")]
    if gateway.uses_webhook_secret and not settings.PAYMENT_WEBHOOK_SECRET:
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


@checks.register(checks.Tags.security, deploy=True)
def zarinpal_deploy_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Zarinpal in production needs the account's merchant id, and its live host: the sandbox
    accepts every payment without moving money, which is the development gateway's flaw."""
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError:
        return []  # purchasing.E001 says so
    if not issubclass(gateway, ZarinpalGateway):
        return []
    problems = []
    if not settings.ZARINPAL_MERCHANT_ID:
        problems.append(
            checks.Error(
                "ZARINPAL_MERCHANT_ID is empty: Zarinpal refuses every payment request.",
                hint="Set ZARINPAL_MERCHANT_ID to the merchant id of your Zarinpal account.",
                id="purchasing.E003",
            )
        )
    if settings.ZARINPAL_SANDBOX:
        problems.append(
            checks.Error(
                "ZARINPAL_SANDBOX is on: payments are simulated and collect no money.",
                hint="Set ZARINPAL_SANDBOX=false in production.",
                id="purchasing.E004",
            )
        )
    if not settings.ZARINPAL_CALLBACK_URL.startswith("https://"):
        problems.append(
            checks.Error(
                "ZARINPAL_CALLBACK_URL is not an https:// URL of this API.",
                hint="Set it to https://<your host>/api/payments/zarinpal/callback/ and register "
                "that domain with Zarinpal.",
                id="purchasing.E005",
            )
        )
    return problems
