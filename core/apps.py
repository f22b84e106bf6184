from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: errors and their HTTP mapping, prepared statements, caching, admin helpers."""

    name = "core"
    verbose_name = "Core"
