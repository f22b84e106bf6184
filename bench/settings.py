"""Bench-only settings: the project's production settings plus the bench's URLconf (reference R1).

Selected only by `bench/run.py` for the gunicorn it starts; the project never imports it.
"""

import warnings

from library_project.settings import *  # noqa: F403

# The API serves no static files; whitenoise would warn that `collectstatic` never ran.
warnings.filterwarnings("ignore", message="No directory at")

ROOT_URLCONF = "bench.urls"
