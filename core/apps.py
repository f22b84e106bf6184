from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares: errors and their HTTP mapping, prepared statements, caching, admin
    helpers, and the hooks through which a lower app asks a higher one."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import admin_dates  # the admin is loaded only once the apps are ready

        admin_dates.install()
