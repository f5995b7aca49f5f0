from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "layan.search"
    label = "search"
