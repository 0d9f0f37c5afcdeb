"""Alert pages: public."""

urlpatterns: list = []
