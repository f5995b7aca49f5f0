from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "layan.portal"
    label = "portal"
