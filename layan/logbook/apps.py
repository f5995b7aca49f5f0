from django.apps import AppConfig


class LogbookConfig(AppConfig):
    name = "layan.logbook"
    label = "logbook"
