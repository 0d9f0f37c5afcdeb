from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "safecommons.tips"
    verbose_name = "Tip line"
