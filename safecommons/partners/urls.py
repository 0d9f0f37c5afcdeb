from django.urls import path

from safecommons.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/new/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement"),
    path("agreements/<int:agreement_id>/terminate/", views.agreement_terminate, name="agreement_terminate"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("<slug:slug>/", views.organisation_detail, name="organisation"),
    path("<slug:slug>/api-keys/", views.api_keys, name="api_keys"),
]
