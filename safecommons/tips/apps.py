from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "safecommons.tips"
    verbose_name = "Tip line"

    def ready(self) -> None:
        from safecommons.core.privacy import anonymous_route

        # The tipster's pages and API: no session write, no cookie, whoever is signed in (tips/urls.py, api.py).
        anonymous_route({"GET", "POST"}, r"^/tips/(follow-up/(reply/|reward/)?)?$")
        anonymous_route({"POST"}, r"^/api/tips(/follow-up(/messages|/files|/reward)?)?$")
