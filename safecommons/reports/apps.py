from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "safecommons.reports"
    verbose_name = "Community reports"
