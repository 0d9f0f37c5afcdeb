from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template.response import TemplateResponse
from django.views.defaults import page_not_found


class NotFoundMiddleware:
    """A selector that finds nothing (or nothing the actor may see) is a 404 page, not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ObjectDoesNotExist):
            return page_not_found(request, exception)
        return None


class MethodNotAllowedPageMiddleware:
    """A page opened at an address that only takes a form's POST (a bookmark, a link copied from the address
    bar) says so, instead of the empty 405 Django answers. The API's answers are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        page = TemplateResponse(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page.render()


def content_security_policy(*, tile_origin: str = "") -> str:
    """This server only; images also from the operator's tile server when one is given."""
    img = "'self' data: blob:" + (f" {tile_origin}" if tile_origin else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {img}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Pages may load and contact nothing but this server (and the operator's own tile server, if set).

    A view that must not even reach the tile server (the tip line) sets its own, stricter header."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(tile_origin=_origin(settings.MAP_TILE_URL))

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response


def _origin(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        return ""
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}"
