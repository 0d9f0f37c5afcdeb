from django.http import HttpResponse
from django.urls import path


def incident_detail(request, incident_id: int):  # replaced by the incident page
    return HttpResponse(status=404)


urlpatterns = [path("<int:incident_id>/", incident_detail, name="detail")]
