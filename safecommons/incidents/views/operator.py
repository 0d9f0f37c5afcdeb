from django.http import HttpResponse
from django.urls import path


def console(request):  # replaced by the operator console
    return HttpResponse(status=404)


urlpatterns = [path("console/", console, name="console")]
