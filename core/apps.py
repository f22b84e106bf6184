from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: errors and their HTTP mapping, prepared statements, caching, admin
    helpers, and the hooks through which a lower app asks a higher one."""

    name = "core"
    verbose_name = "Core"
