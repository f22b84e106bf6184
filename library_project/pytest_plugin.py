"""Loaded by pytest before Django settings are read (`-p` in pytest.ini): test-only environment."""

import os

os.environ.setdefault("DJANGO_TESTING", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "library_project.settings")
