"""Layan's URLs and `/bench/ping`: the cheapest signed-in page, the ceiling for every other."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from layan.urls import urlpatterns as layan_urlpatterns


def ping(request: HttpRequest) -> HttpResponse:
    """Answer after the whole middleware stack, the session and the login check, and no more."""
    return HttpResponse("pong", content_type="text/plain")


urlpatterns = [path("bench/ping", ping, name="bench-ping"), *layan_urlpatterns]
