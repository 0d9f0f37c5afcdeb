"""Crime-data pages: analytics."""

urlpatterns: list = []
