from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Imported here, not at the top: the checks read the SMS backends, which load settings.
        from accounts import checks  # noqa: F401  (registers the system checks)
