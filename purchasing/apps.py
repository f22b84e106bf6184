from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self) -> None:
        # Imported here, not at the top: modules that touch models load only once the apps are.
        from accounts import hooks as accounts_hooks
        from purchasing import (
            checks,  # noqa: F401  (registers the system checks)
            services,
        )

        accounts_hooks.open_wallet.register(services.wallet_open)
