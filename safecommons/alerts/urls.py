from safecommons.alerts.views import compose, delivery, newsletters, public, subscriptions

app_name = "alerts"

# The public pages come last: /alerts/<identifier>/ would otherwise catch every other path.
urlpatterns = [*subscriptions.urlpatterns, *newsletters.urlpatterns, *delivery.urlpatterns, *compose.urlpatterns,
               *public.urlpatterns]
