from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from layan.api import api
from layan.team import views as team_views
from layan.tickets import views as ticket_views


def _token_authenticated(urls: tuple[list, str, str]) -> tuple[list, str, str]:
    """The API checks its own bearer tokens; the page login must not redirect its calls."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace


# The API first: programs call it most, and each pattern before it is tried on every call
# (about 60, most of them under the empty prefixes below).
urlpatterns = [
    path("api/v1/", _token_authenticated(api.urls)),
    path("", RedirectView.as_view(pattern_name="tickets:inbox", permanent=False)),
    path("", include("layan.team.urls")),
    path("tickets/", include("layan.tickets.urls")),
    path("rate/<str:token>/", ticket_views.rate, name="rate"),
    path("", include("layan.customers.urls")),
    path("mail/", include("layan.channels.urls")),
    path("knowledge/", include("layan.knowledge.urls")),
    path("", include("layan.agreements.urls")),
    path("p/", include("layan.portal.urls")),
    path("", include("layan.sla.urls")),
    path("reports/", include("layan.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", team_views.health, name="health"),
    path("admin/", admin.site.urls),
]
