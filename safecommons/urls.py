from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.views.static import serve

from safecommons.core.api import api


def admin_sign_in(request, extra_context=None):
    # The admin has no sign-in of its own: everyone goes through password + TOTP.
    return redirect(f"{reverse('accounts:sign_in')}?next={request.GET.get('next', '/admin/')}")


admin.site.login = admin_sign_in
admin.site.site_header = "SafeCommons administration"

urlpatterns = [
    path("", include("safecommons.core.urls")),
    path("accounts/", include("safecommons.accounts.urls")),
    path("partners/", include("safecommons.partners.urls")),
    path("places/", include("safecommons.places.urls")),
    path("tips/", include("safecommons.tips.urls")),
    path("reports/", include("safecommons.reports.urls")),
    path("cameras/", include("safecommons.cameras.urls")),
    path("incidents/", include("safecommons.incidents.urls")),
    path("crime/", include("safecommons.crimedata.urls")),
    path("alerts/", include("safecommons.alerts.urls")),
    path("open311/v2/", include("safecommons.reports.open311_urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
