from django.urls import path

from safecommons.places import views

app_name = "places"
urlpatterns = [
    path("", views.find, name="find"),
    path("areas/<int:area_id>/", views.area_detail, name="area"),
    path("import/", views.area_import, name="import"),
    path("import/<int:import_id>/", views.import_status, name="import_status"),
]
