from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "layan.reports"
    label = "reports"
