from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "layan.insight"
    label = "insight"
