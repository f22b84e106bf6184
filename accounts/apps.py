from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported here, not at the top: the checks read the SMS backends, which load settings.
        from accounts import checks  # noqa: F401  (registers the system checks)
