"""Open311 GeoReport v2 at /open311/v2/ (docs/open311.md). Every endpoint answers as .json or .xml."""

from django.urls import path, register_converter
from django.views.decorators.csrf import csrf_exempt

from safecommons.reports.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311fmt")

app_name = "open311"
urlpatterns = [
    path("services.<open311fmt:fmt>", views.services_list, name="services"),
    path("services/<slug:service_code>.<open311fmt:fmt>", views.service_definition, name="service_definition"),
    path("requests.<open311fmt:fmt>", views.service_requests, name="requests"),
    path("requests/<int:request_id>.<open311fmt:fmt>", views.service_request_detail, name="request"),
    path("<path:rest>", csrf_exempt(views.unknown), name="unknown"),
]
