"""Alert pages: delivery."""

urlpatterns: list = []
