"""Alert pages: subscriptions."""

urlpatterns: list = []
