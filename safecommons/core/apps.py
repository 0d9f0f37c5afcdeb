from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safecommons.core"
    verbose_name = "Core"
