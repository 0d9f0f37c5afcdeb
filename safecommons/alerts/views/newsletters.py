"""Alert pages: newsletters."""

urlpatterns: list = []
