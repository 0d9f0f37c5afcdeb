from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "safecommons.demo"
