from django.urls import path

from layan.portal import views

app_name = "portal"
urlpatterns = [
    path(
        "agreements/<int:pk>/<int:expires>/<str:token>/",
        views.agreement,
        name="agreement",
    ),
    path(
        "agreements/<int:pk>/<int:expires>/<str:token>/confirm/",
        views.agreement_confirm,
        name="agreement_confirm",
    ),
    path(
        "agreements/<int:pk>/<int:expires>/<str:token>/changes/",
        views.agreement_changes,
        name="agreement_changes",
    ),
    path(
        "agreements/<int:pk>/<int:expires>/<str:token>/files/<int:attachment_id>/",
        views.agreement_file,
        name="agreement_file",
    ),
]
