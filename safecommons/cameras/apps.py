from django.apps import AppConfig


class CamerasConfig(AppConfig):
    name = "safecommons.cameras"
    verbose_name = "Camera registry"
