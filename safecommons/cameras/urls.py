from safecommons.cameras.views import canvass, evidence, live, public, registry, requests

app_name = "cameras"

urlpatterns = [*public.urlpatterns, *registry.urlpatterns, *canvass.urlpatterns, *requests.urlpatterns,
               *evidence.urlpatterns, *live.urlpatterns]
