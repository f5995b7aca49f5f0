from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "layan.sla"
    label = "sla"
