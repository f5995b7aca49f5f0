"""Layan's settings plus one trivial page, for measuring the framework ceiling under gunicorn.

DJANGO_SETTINGS_MODULE=site_settings gunicorn --pythonpath bench layan.wsgi:application
"""

from layan.settings import *  # noqa: F403

ROOT_URLCONF = "site_urls"
