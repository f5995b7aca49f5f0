from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "layan.agreements"
    label = "agreements"
