from django.urls import path

from safecommons.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_log, name="audit"),
    path("language/<str:code>/", views.language, name="language"),
]
