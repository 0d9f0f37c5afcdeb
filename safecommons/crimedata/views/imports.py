"""Crime-data pages: imports."""

urlpatterns: list = []
