from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "layan.core"
    label = "core"
