from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "safecommons.incidents"
    verbose_name = "Live incidents and alarms"
