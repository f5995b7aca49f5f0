from django.urls import path

from layan.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.sla_report, name="sla"),
    path("fairness/", views.fairness, name="fairness"),
    path("fairness/tickets/", views.fairness_drill, name="fairness_tickets"),
    path("playbook/", views.playbook, name="playbook"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
]
