"""Alert pages: compose."""

urlpatterns: list = []
