from .celery import app as celery_app

# The service's version; the API schema's `info.version` is this (README "API changes").
__version__ = "1.4.0"

__all__ = ("__version__", "celery_app")
