from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "layan.team"
    label = "team"
    verbose_name = "Team"
