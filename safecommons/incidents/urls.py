from safecommons.incidents.views import alarms, board, commendations, incident, operator, police

app_name = "incidents"

urlpatterns = [*board.urlpatterns, *incident.urlpatterns, *operator.urlpatterns, *police.urlpatterns,
               *alarms.urlpatterns, *commendations.urlpatterns]
