from django.apps import AppConfig


class CrimeDataConfig(AppConfig):
    name = "safecommons.crimedata"
    verbose_name = "Crime data and analytics"
