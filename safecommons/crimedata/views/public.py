"""Crime-data pages: public."""

urlpatterns: list = []
