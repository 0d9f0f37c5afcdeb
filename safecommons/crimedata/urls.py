from safecommons.crimedata.views import analytics, imports, public

app_name = "crimedata"

urlpatterns = [*public.urlpatterns, *analytics.urlpatterns, *imports.urlpatterns]
