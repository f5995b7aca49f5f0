from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "layan.knowledge"
    label = "knowledge"
