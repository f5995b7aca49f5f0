import os

from django.core.asgi import get_asgi_application

from layan.core.sqlite import wal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
wal.in_background()  # as in layan.wsgi
application = get_asgi_application()
