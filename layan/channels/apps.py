from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "layan.channels"
    label = "channels"
