from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "safecommons.alerts"
    verbose_name = "Community alerts, subscriptions and newsletters"
