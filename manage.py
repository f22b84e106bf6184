#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "library_project.settings")
    # manage.py is the development entry point (as in cookiecutter-django): without an explicit
    # DEBUG it runs in development mode. Production serves through wsgi.py, Celery and compose,
    # which set DEBUG=false and so still refuse to start without a real SECRET_KEY.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
