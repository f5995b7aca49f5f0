from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "layan.tickets"
    label = "tickets"
